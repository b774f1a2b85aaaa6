/** $SNU_CHROMIUM, else the first of chromium, chromium-browser, google-chrome on the PATH. */
export function findChromium(): string | undefined;

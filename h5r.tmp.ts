import { readNirFile } from './ts/nir/hdf5.ts';
try { const g = await readNirFile(process.argv[2]); console.log('read', g.nodes[0].params[0]?.data.length); } catch (e) { console.log('error:', (e as Error).message); }

// The tasks `snu train` and `snu eval` know, by name.
import { TASK_NAMES, type DataValidator, type TaskName } from './config.js';
import { fashionMnistTask, mnistConvTask, mnistTask } from './task-images.js';
import { jsbTask } from './task-jsb.js';
import { ptbTask } from './task-ptb.js';
import type { Task } from './task.js';

/** Every task by name (each with its own `data` type, hence `any` here). */
// biome-ignore lint/suspicious/noExplicitAny: each task has its own data type; the map holds them all
export const TASKS: Record<TaskName, Task<any>> = {
  mnist: mnistTask,
  'mnist-conv': mnistConvTask,
  'fashion-mnist': fashionMnistTask,
  jsb: jsbTask,
  ptb: ptbTask,
};

/** True if `name` is a task. */
export function isTaskName(name: string): name is TaskName {
  return (TASK_NAMES as readonly string[]).includes(name);
}

/** Validates a config's `data` section with its task's rules. */
export const validateTaskData: DataValidator = (task, raw, path) => TASKS[task].validateData(raw, path) as Record<string, unknown>;

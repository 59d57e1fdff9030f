// The threads of this process as Linux shows them, for tests of thread priorities.
import { readdirSync, readFileSync } from 'node:fs';

/** Each thread's nice value by thread id (Linux: field 19 of /proc/self/task/<tid>/stat, after the parenthesised name). */
export function threadNiceness(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task').map(Number)) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      out.set(tid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

// Preloaded (`node --import`) into every service child of a --processes run. When the parent is gone
// (killed -9, so it could not stop us), die at once as it did: the local servers died with it, and
// finishing in-flight work against them would turn a crash into failed chips. Unacked messages are
// redelivered to the restarted run.
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
}, 100);
timer.unref();

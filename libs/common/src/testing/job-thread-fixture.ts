// A job thread for job-thread.test.ts: doubles numbers, reads files (a missing one fails with ENOENT), fails
// with an HlsError on request; at close it writes workerData.closeMark.
import { readFile, writeFile } from 'node:fs/promises';
import { workerData } from 'node:worker_threads';
import { HlsError } from '../errors.ts';
import { serveJobs } from '../job-thread.ts';

export type FixtureJob = { double: number } | { read: string } | { fail: 'retryable' | 'permanent' };

serveJobs<FixtureJob, number | string>(
  async (job) => {
    if ('double' in job) return job.double * 2;
    if ('read' in job) return readFile(job.read, 'utf8');
    throw new HlsError('fixture-failure', `asked to fail (${job.fail})`, { retryable: job.fail === 'retryable' });
  },
  async () => {
    const mark = (workerData as { closeMark?: string }).closeMark;
    if (mark) await writeFile(mark, 'closed');
  },
);

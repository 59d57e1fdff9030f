export { TransientError, PermanentError, NotImplementedError } from '@hls/bus';

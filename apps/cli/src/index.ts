export { buildProgram } from './main.ts';

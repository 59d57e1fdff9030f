#!/usr/bin/env node
// The scene-selector service as its own process (one Kubernetes Deployment).
import { configArg, serviceMain } from '@hls/runtime';
import { createService } from './index.ts';

const svc = createService();
await serviceMain([svc.def], { configFile: configArg(), onStopped: svc.stop });

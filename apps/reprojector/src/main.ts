#!/usr/bin/env node
// The reprojector service as its own process (one Kubernetes Deployment).
import { configArg, serviceMain } from '@hls/runtime';
import { service, stopService } from './index.ts';

await serviceMain([service], { configFile: configArg(), onStopped: stopService });

#!/usr/bin/env node
// Prints glust.example.yaml from the settings table (after `npm run build`); test/config-file.test.ts
// fails until the file holds exactly this: `node scripts/example-config.mjs > glust.example.yaml`.
import { EXAMPLE_HEADER, SETTING_ROWS } from '../dist/config.js';
import { exampleYaml } from '../dist/settings/yaml-out.js';

process.stdout.write(exampleYaml(SETTING_ROWS, EXAMPLE_HEADER));

#!/usr/bin/env node
// Prints the README's configuration table from the settings table (after `npm run build`);
// test/settings.test.ts fails until the README holds exactly this.
import { SETTING_ROWS } from '../dist/config.js';
import { settingsMarkdown } from '../dist/settings/help.js';

process.stdout.write(settingsMarkdown(SETTING_ROWS));

#!/usr/bin/env node
// The `mfmig` command. A committed file (not a build output) so that package managers can link
// it at install time, before the first build; the program itself is dist/bin.js.
import '../dist/bin.js';

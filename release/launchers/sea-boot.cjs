// Loaded from disk by the Windows executable's injected script (a file loaded this way may import
// ES modules; the injected script itself may not): runs bin/run.js, with process.argv as node gives it.
const {join} = require('node:path')
const {pathToFileURL} = require('node:url')

import(pathToFileURL(join(__dirname, 'run.js')).href)

// The Windows executable (kubectl-svcgw.exe) is node.exe with this script injected (Node's
// single executable applications): krew and kubectl need an .exe, and a shell script is none.
// It runs bin/sea-boot.cjs beside the executable, which imports the CLI as Node would.
const {createRequire} = require('node:module')

createRequire(process.execPath)('./bin/sea-boot.cjs')

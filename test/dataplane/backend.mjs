// A backend for the data-plane tests: HTTP on 8080 answers with its name,
// TCP on 9000 echoes each line (for connections that must survive a reload).
import http from 'node:http'
import net from 'node:net'

const name = process.argv[2]
http.createServer((_req, res) => res.end(name)).listen(8080)
// A peer that resets (a test killing its holder, a drain deadline) is no reason to stop serving.
net.createServer((socket) => socket.on('error', () => {}).pipe(socket)).listen(9000)
process.on('SIGTERM', () => process.exit(0))

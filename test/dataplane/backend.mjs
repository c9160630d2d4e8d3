// A backend for the data-plane tests: HTTP on 8080 answers with its name,
// TCP on 9000 echoes each line (for connections that must survive a reload).
import http from 'node:http'
import net from 'node:net'

const name = process.argv[2]
http.createServer((_req, res) => res.end(name)).listen(8080)
net.createServer((socket) => socket.pipe(socket)).listen(9000)
process.on('SIGTERM', () => process.exit(0))

// Holds one TCP connection open: each stdin line is sent, each echoed line printed.
import net from 'node:net'
import readline from 'node:readline'

const [host, port] = process.argv.slice(2)
const socket = net.connect(Number(port), host, () => process.stdout.write('connected\n'))
socket.on('data', (data) => process.stdout.write(data))
socket.on('close', () => {
  process.stdout.write('closed\n')
  process.exit(0)
})
socket.on('error', (error) => process.stdout.write(`error ${error.message}\n`))
const input = readline.createInterface({input: process.stdin})
input.on('line', (line) => socket.write(`${line}\n`))
// Our input ending ends the connection normally (a client that is done).
input.on('close', () => socket.end())

import { connect } from 'node:net';

/**
 * Writes `request` as it is to the server at `baseUrl` and reads everything it answers until it closes:
 * for what a fetch client cannot send (oversized headers, bytes that are not HTTP) and answers that Node
 * writes on the socket itself. The answer as latin1 text, with its head and body split.
 */
export function rawHttp(baseUrl: string, request: string): Promise<{ answer: string; head: string; body: string }> {
  const { port, hostname } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    const done = () => {
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      resolve({ answer, head, body });
    };
    socket.on('data', (d) => {
      answer += d.toString('latin1');
    });
    socket.on('close', done);
    socket.on('error', (err) => (answer ? done() : reject(err)));
    socket.write(request);
  });
}

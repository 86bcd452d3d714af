// A TCP proxy that makes a slow link: what the upstream server sends reaches
// the client `chunk` bytes every `everyMs` milliseconds; what the client sends
// goes upstream at once. For tests of runs that must last a while.

import net from 'node:net';

/** Starts the proxy on 127.0.0.1, a free port; answers {port, close()}. */
export async function drippingProxy(upstreamPort, {chunk = 16 * 1024, everyMs = 50, host = '127.0.0.1'} = {}) {
  const open = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, host);
    open.add(client);
    open.add(upstream);
    client.pipe(upstream);
    const queue = [];
    let queued = 0;
    let timer = null;
    let upstreamEnded = false;
    const schedule = () => {
      if (timer === null) timer = setTimeout(pump, everyMs);
    };
    function pump() {
      timer = null;
      let budget = chunk;
      while (budget > 0 && queue.length) {
        const head = queue[0];
        if (head.length <= budget) {
          queue.shift();
          client.write(head);
          budget -= head.length;
          queued -= head.length;
        } else {
          client.write(head.subarray(0, budget));
          queue[0] = head.subarray(budget);
          queued -= budget;
          budget = 0;
        }
      }
      if (queued <= 4 * chunk) upstream.resume();
      if (queue.length) schedule();
      else if (upstreamEnded) client.end();
    }
    upstream.on('data', (data) => {
      queue.push(data);
      queued += data.length;
      if (queued > 4 * chunk) upstream.pause(); // hold the rest at the source
      schedule();
    });
    upstream.on('end', () => {
      upstreamEnded = true;
      if (!queue.length && timer === null) client.end();
    });
    const destroy = () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', destroy);
    upstream.on('error', destroy);
    client.on('close', destroy);
    upstream.on('close', () => { if (!queue.length) destroy(); });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return {
    port: server.address().port,
    close: () => new Promise((resolve) => {
      for (const s of open) s.destroy();
      open.clear();
      server.close(() => resolve());
    }),
  };
}

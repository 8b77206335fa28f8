// Runs each service as its own process, as in production, and learns its port from its first log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface ServiceProcess {
  name: string;
  port: number;
  child: ChildProcess;
  logFile: string;
}

export async function spawnService(root: string, name: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<ServiceProcess> {
  const logDir = path.join(root, '.data', 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'services', name, 'src', 'main.ts')], {
    cwd: root,
    env: { ...process.env, ...env, GRPC_ADDRESS: env.GRPC_ADDRESS ?? '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.pipe(log);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not report listening within ${timeoutMs} ms (see ${logFile})`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      try {
        const event = JSON.parse(line) as { msg?: string; port?: number };
        if (event.msg === `${name} listening` && typeof event.port === 'number') {
          clearTimeout(timer);
          resolve(event.port);
        }
      } catch {
        // not JSON: keep it in the log file only
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before listening (see ${logFile})`));
    });
  });
  return { name, port, child, logFile };
}

export async function stopService(service: ServiceProcess, timeoutMs = 15_000): Promise<number | null> {
  if (service.child.exitCode !== null) return service.child.exitCode;
  return new Promise((resolve) => {
    const force = setTimeout(() => service.child.kill('SIGKILL'), timeoutMs);
    service.child.once('exit', (code) => {
      clearTimeout(force);
      resolve(code);
    });
    service.child.kill('SIGTERM');
  });
}

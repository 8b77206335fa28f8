// `pnpm build`: the four services and the container health probe as JavaScript, in dist/ laid out
// like the workspace (dist/packages/shared, dist/services/<name>), each package with its
// package.json (exports pointing at .js) and the files its modules read beside themselves at run
// time (gen/*.binpb for reflection, the lexicon and model JSON, the CPU pool's worker entry).
// The Dockerfile copies these over a production-only install. `--image DIR` does the same here: the
// workspace manifests and lockfile in DIR, `pnpm install --frozen-lockfile --prod`, the build over it,
// so DIR is laid out as the image's /app (node DIR/services/gateway/src/main.js). `--link` instead
// links each built package to this checkout's installed dependencies, to run dist/ in place.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const PACKAGES = ['packages/shared', 'services/gateway', 'services/context', 'services/embedding', 'services/extraction'];
/** What modules read beside themselves at run time; everything else in src/ is TypeScript or build input. */
const RUNTIME_ASSETS = /\.(json|binpb|mjs)$/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** package.json with every export target moved from .ts to .js. */
function builtManifest(pkg: string): string {
  const manifest = JSON.parse(readFileSync(path.join(root, pkg, 'package.json'), 'utf8')) as { exports?: Record<string, string>; scripts?: unknown; devDependencies?: unknown };
  for (const [key, target] of Object.entries(manifest.exports ?? {})) manifest.exports![key] = target.replace(/\.ts$/, '.js');
  delete manifest.scripts;
  delete manifest.devDependencies;
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** DIR as the image's /app: production dependencies only, then the build over them (Dockerfile `deps` + `runtime`). */
function imageLayout(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  for (const file of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', ...PACKAGES.map((p) => `${p}/package.json`)]) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    copyFileSync(path.join(root, file), path.join(dir, file));
  }
  execFileSync('npx', ['-y', 'pnpm@10.34.9', 'install', '--frozen-lockfile', '--prod', '--reporter=silent'], { cwd: dir, stdio: 'inherit' });
  for (const pkg of PACKAGES) cpSync(path.join(dist, pkg), path.join(dir, pkg), { recursive: true });
}

/** Each built package's node_modules: the installed dependencies, with workspace packages pointing at their builds. */
function linkDependencies(): void {
  for (const pkg of PACKAGES) {
    const installed = path.join(root, pkg, 'node_modules');
    const linked = path.join(dist, pkg, 'node_modules');
    mkdirSync(linked, { recursive: true });
    for (const entry of readdirSync(installed)) {
      if (entry === '.bin' || entry === '@clinote') continue;
      symlinkSync(path.join(installed, entry), path.join(linked, entry));
    }
    if (existsSync(path.join(installed, '@clinote'))) {
      mkdirSync(path.join(linked, '@clinote'));
      for (const name of readdirSync(path.join(installed, '@clinote'))) {
        const target = PACKAGES.find((p) => JSON.parse(readFileSync(path.join(root, p, 'package.json'), 'utf8')).name === `@clinote/${name}`)!;
        symlinkSync(path.join(dist, target), path.join(linked, '@clinote', name));
      }
    }
  }
}

function main(): void {
  const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--'), options: { link: { type: 'boolean', default: false }, image: { type: 'string' } } });
  rmSync(dist, { recursive: true, force: true });
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  let assets = 0;
  for (const pkg of PACKAGES) {
    writeFileSync(path.join(dist, pkg, 'package.json'), builtManifest(pkg));
    for (const file of files(path.join(root, pkg, 'src'))) {
      if (!RUNTIME_ASSETS.test(file) || file.includes('.fixture')) continue;
      const target = path.join(dist, path.relative(root, file));
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(file, target);
      assets++;
    }
  }
  // The probe lives inside the shared package, so `@clinote/shared/...` resolves by the package's own
  // name and its dependencies (grpc-js, grpc-health-check) from the package's node_modules.
  renameSync(path.join(dist, 'scripts'), path.join(dist, 'packages', 'shared', 'scripts'));
  if (values.link) linkDependencies();
  if (values.image) imageLayout(path.resolve(values.image));
  process.stdout.write(
    `built ${PACKAGES.length} packages into ${path.relative(root, dist)}/ (${assets} runtime assets${values.link ? ', dependencies linked' : ''}${values.image ? `, image layout in ${values.image}` : ''})\n`,
  );
}

main();

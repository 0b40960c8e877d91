import { defineConfig } from '@playwright/test';
import * as os from 'node:os';
import * as path from 'node:path';

// The server under test: the binary and site built by `.ci/atende test`, a fresh SQLite database each run.
const port = Number(process.env.ATENDE_E2E_PORT ?? 3107);
const bin = process.env.ATENDE_BIN ?? path.resolve(__dirname, '../target/debug/atende');
const site = process.env.LEPTOS_SITE_ROOT ?? path.resolve(__dirname, '../target/site');
const data = path.join(os.tmpdir(), `atende-e2e-${process.pid}`);
// Signed in once by global-setup.ts as this admin, created by the server at its first start.
const session = path.join(os.tmpdir(), `atende-e2e-session-${port}.json`);
process.env.ATENDE_E2E_EMAIL = 'admin@e2e.local';
process.env.ATENDE_E2E_PASSWORD = 'senha-do-e2e';

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    storageState: session,
    viewport: { width: 1366, height: 768 },
    locale: 'pt-BR',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: `rm -rf '${data}' && '${bin}'`,
    url: `http://127.0.0.1:${port}/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      ATENDE_DATA_DIR: data,
      ATENDE_DATABASE_URL: '',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: site,
      RUST_LOG: 'warn',
      ATENDE_ADMIN_EMAIL: 'admin@e2e.local',
      ATENDE_ADMIN_PASSWORD: 'senha-do-e2e',
    },
  },
});

import { request, FullConfig } from '@playwright/test';

/** Signs in once as the admin the test server starts with; every test reuses the session cookie. */
export default async function globalSetup(config: FullConfig) {
  const { baseURL, storageState } = config.projects[0].use;
  const context = await request.newContext({ baseURL });
  const response = await context.post('/entrar', {
    form: { email: process.env.ATENDE_E2E_EMAIL ?? 'admin@e2e.local', senha: process.env.ATENDE_E2E_PASSWORD ?? 'senha-do-e2e' },
    headers: { Origin: baseURL as string },
    maxRedirects: 0,
  });
  if (response.status() !== 303 || !(response.headers()['set-cookie'] ?? '').includes('atende_sessao=')) {
    throw new Error(`sign-in failed: ${response.status()} ${await response.text()}`);
  }
  await context.storageState({ path: storageState as string });
  await context.dispose();
}

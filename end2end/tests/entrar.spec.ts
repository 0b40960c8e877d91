import { test, expect } from '@playwright/test';

// Nobody is signed in here: the sign-in page, a refusal, and the way in and out.
test.use({ storageState: { cookies: [], origins: [] } });

test('sem sessão o Atende pede e-mail e senha; a senha errada é recusada; Sair encerra a sessão', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/entrar$/);
  await expect(page.getByRole('heading', { name: 'Entrar no Atende' })).toBeVisible();

  await page.getByLabel('E-mail').fill('admin@e2e.local');
  await page.getByLabel('Senha').fill('senha-errada');
  await page.getByRole('button', { name: 'Entrar' }).click();
  await expect(page.getByRole('alert')).toHaveText('E-mail ou senha incorretos.');

  await page.getByLabel('E-mail').fill('admin@e2e.local');
  await page.getByLabel('Senha').fill('senha-do-e2e');
  await page.getByRole('button', { name: 'Entrar' }).click();
  await expect(page.getByRole('heading', { name: 'Atendimentos' })).toBeVisible();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();

  await page.getByRole('button', { name: 'Mais opções' }).click();
  await page.getByRole('menuitem', { name: 'Sair' }).click();
  await expect(page).toHaveURL(/\/entrar$/);
  await page.goto('/crm/contatos');
  await expect(page).toHaveURL(/\/entrar$/);
});

import { test, expect } from '@playwright/test';
import { openAtendimentos } from './helpers';

test.describe('Tela de Atendimentos', () => {
  test('a primeira carga vem pronta do servidor, mesmo sem JavaScript', async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Atendimentos' })).toBeVisible();
    await expect(page.getByRole('tab', { name: 'Meus' })).toHaveAttribute('aria-selected', 'true');
    for (const tab of ['Não atribuídos', 'Todos', 'Concluídos']) {
      await expect(page.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'false');
    }
    await expect(page.getByLabel('Número com DDD')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Conversar' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Mais opções' })).toBeVisible();
    await context.close();
  });

  test('depois da hidratação o menu ⋮ abre e as abas trocam a lista', async ({ page }) => {
    const errors = await openAtendimentos(page);
    await page.getByRole('button', { name: 'Mais opções' }).click();
    await expect(page.getByRole('menuitem', { name: 'Novo atendimento' })).toBeVisible();
    await page.getByRole('button', { name: 'Mais opções' }).click();
    await expect(page.getByRole('menuitem', { name: 'Novo atendimento' })).toBeHidden();

    await page.getByRole('tab', { name: 'Concluídos' }).click();
    await expect(page.getByRole('tab', { name: 'Concluídos' })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('tabpanel', { name: 'Concluídos' })).toContainText('Nenhum atendimento aqui.');
    await page.getByRole('tab', { name: 'Meus' }).click();
    await expect(page.getByRole('tabpanel', { name: 'Meus' })).toBeVisible();
    expect(errors).toEqual([]);
  });
});

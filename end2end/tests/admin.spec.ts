import { test, expect } from '@playwright/test';

// Administração (⋮ → "Administração"): teams, agents, API tokens, templates and prices. An agent who is not an
// admin reads why the page is closed to them.
test('o administrador cria equipe, agente e token; o agente não entra na Administração', async ({ page, browser }) => {
  const suffix = String(Date.now()).slice(-6);
  await page.goto('/');
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await page.getByRole('button', { name: 'Mais opções' }).click();
  await page.getByRole('menuitem', { name: 'Administração' }).click();
  await expect(page.getByRole('heading', { name: 'Administração' })).toBeVisible();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();

  const teams = page.getByRole('region', { name: 'Equipes' });
  await teams.getByLabel('Nome da equipe').fill(`Vendas ${suffix}`);
  await teams.getByRole('button', { name: 'Criar equipe' }).click();
  await expect(teams.getByText(`Vendas ${suffix}`)).toBeVisible();
  await teams.getByLabel('Nome da equipe').fill(`Vendas ${suffix}`);
  await teams.getByRole('button', { name: 'Criar equipe' }).click();
  await expect(teams.getByRole('alert')).toHaveText('Já existe uma equipe com este nome.');

  const agents = page.getByRole('region', { name: 'Agentes' });
  const form = agents.getByRole('form', { name: 'Novo agente' });
  await form.getByLabel('Nome').fill(`Ana ${suffix}`);
  await form.getByLabel('E-mail').fill(`ana${suffix}@e2e.local`);
  await form.getByLabel('Senha').fill('curta');
  await form.getByRole('button', { name: 'Salvar' }).click();
  await expect(form.getByRole('alert')).toHaveText('A senha precisa ter pelo menos 8 caracteres.');
  await form.getByLabel('Senha').fill('senha-da-ana');
  await expect(form.getByRole('alert')).toHaveText('Escolha ao menos uma equipe para o agente.');
  await form.getByLabel(`Vendas ${suffix}`).check();
  await expect(form.getByText('Escolha ao menos uma equipe para o agente.')).toBeHidden();
  await form.getByRole('button', { name: 'Salvar' }).click();
  const row = agents.getByRole('row').filter({ hasText: `ana${suffix}@e2e.local` });
  await expect(row).toContainText(`Vendas ${suffix}`);
  await expect(row).toContainText('Ativo');

  const tokens = page.getByRole('region', { name: 'Tokens de API' });
  await tokens.getByLabel('Nome do token').fill(`ERP ${suffix}`);
  await tokens.getByRole('button', { name: 'Criar token' }).click();
  await expect(tokens.getByRole('status')).toContainText('não será mostrado de novo');
  await expect(tokens.getByLabel('Token criado')).toHaveText(/^atd_[0-9a-f]{64}$/);
  await tokens.getByRole('button', { name: `Revogar ERP ${suffix}` }).click();
  await expect(tokens.getByRole('listitem').filter({ hasText: `ERP ${suffix}` })).toContainText('Revogado');

  const templates = page.getByRole('region', { name: 'Modelos de mensagem' });
  await expect(templates.getByRole('row').filter({ hasText: 'pedido_saiu_para_entrega' })).toContainText('aprovado');
  await expect(templates.getByRole('row').filter({ hasText: 'oferta_relampago' })).toContainText('rejeitado');
  await templates.getByRole('button', { name: 'Sincronizar agora: WhatsApp Oficial (sandbox)' }).click();
  await expect(templates.getByRole('status')).toHaveText(/\d+ modelos sincronizados\./);
  await expect(page.getByRole('region', { name: 'Preços' }).getByRole('row').filter({ hasText: 'Marketing' }).first()).toBeVisible();

  // The new agent signs in: the console works, the admin page does not open for them.
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const agent = await context.newPage();
  await agent.goto('/entrar');
  await agent.getByLabel('E-mail').fill(`ana${suffix}@e2e.local`);
  await agent.getByLabel('Senha').fill('senha-da-ana');
  await agent.getByRole('button', { name: 'Entrar' }).click();
  await expect(agent.getByRole('heading', { name: 'Atendimentos' })).toBeVisible();
  await agent.goto('/admin');
  await expect(agent.getByRole('alert')).toHaveText('Só administradores podem fazer isto.');

  // Deactivated: signed out at once.
  await agents.getByRole('button', { name: `Desativar Ana ${suffix}` }).click();
  await expect(row).toContainText('Desativado');
  await agent.goto('/');
  await expect(agent).toHaveURL(/\/entrar$/);
  await context.close();
});

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

  const agents = page.getByRole('region', { name: 'Agentes' });
  const form = agents.getByRole('form', { name: 'Novo agente' });
  // Half-way through "Novo agente", a team is created: the typed name stays and the new team is offered.
  await form.getByLabel('Nome').fill(`Ana ${suffix}`);
  const teams = page.getByRole('region', { name: 'Equipes' });
  await teams.getByLabel('Nome da equipe').fill(`Vendas ${suffix}`);
  await teams.getByRole('button', { name: 'Criar equipe' }).click();
  await expect(teams.getByText(`Vendas ${suffix}`)).toBeVisible();
  await expect(form.getByLabel(`Vendas ${suffix}`)).toBeVisible();
  await expect(form.getByLabel('Nome')).toHaveValue(`Ana ${suffix}`);
  await teams.getByLabel('Nome da equipe').fill(`Vendas ${suffix}`);
  await teams.getByRole('button', { name: 'Criar equipe' }).click();
  await expect(teams.getByRole('alert')).toHaveText('Já existe uma equipe com este nome.');

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
  await row.getByRole('button', { name: `Equipes de Ana ${suffix}` }).click();
  const membership = agents.getByRole('form', { name: `Equipes de Ana ${suffix}` });
  await membership.getByLabel('Geral').check();
  await membership.getByRole('button', { name: 'Salvar equipes' }).click();
  await expect(membership).toBeHidden();
  await expect(row).toContainText(`Geral, Vendas ${suffix}`);

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

test('Canais: um gateway da API Não Oficial é adicionado no console; os segredos não voltam para a tela', async ({ page }) => {
  const suffix = String(Date.now()).slice(-6);
  await page.goto('/admin');
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  const channels = page.getByRole('region', { name: 'Canais' });
  await expect(channels.getByRole('row').filter({ hasText: 'WhatsApp Oficial (sandbox)' })).toContainText('Variáveis de ambiente / sandbox');
  await channels.getByRole('button', { name: 'Novo canal' }).click();
  const form = channels.getByRole('form', { name: 'Novo canal' });
  await form.getByLabel('Tipo').selectOption({ label: 'WhatsApp (API Não Oficial)' });
  await form.getByLabel('Nome do canal').fill(`Loja ${suffix}`);
  await form.getByLabel('Nome da instância').fill(`loja-${suffix}`);
  await form.getByLabel('Endereço da Evolution API').fill('evolution.loja.com.br');
  await form.getByLabel('Chave de API da instância').fill('chave-secreta-da-instancia');
  await form.getByLabel('Token do webhook').fill('token-do-webhook');
  await form.getByRole('button', { name: 'Salvar' }).click();
  await expect(form.getByRole('alert')).toContainText('precisa começar com https://');
  await form.getByLabel('Endereço da Evolution API').fill('https://evolution.loja.com.br');
  await form.getByRole('button', { name: 'Salvar' }).click();
  const row = channels.getByRole('row').filter({ hasText: `Loja ${suffix}` });
  await expect(row).toContainText('Console');
  await expect(row).toContainText(`loja-${suffix}`);

  await row.getByRole('button', { name: `Editar Loja ${suffix}` }).click();
  const edit = channels.getByRole('form', { name: 'Editar canal' });
  await expect(edit.getByLabel('Chave de API da instância')).toHaveValue('');
  await expect(edit.getByLabel('Chave de API da instância')).toHaveAttribute('placeholder', /Guardado/);
  expect(await page.content()).not.toContain('chave-secreta-da-instancia');
  await edit.getByLabel('Nome do canal').fill(`Loja ${suffix} Centro`);
  await edit.getByRole('button', { name: 'Salvar' }).click();
  await expect(channels.getByRole('row').filter({ hasText: `Loja ${suffix} Centro` })).toBeVisible();
});

test('Redefinir senha encerra as sessões do agente; em Alterar senha ele escolhe a própria', async ({ page, browser }) => {
  const suffix = String(Date.now()).slice(-6);
  await page.goto('/admin');
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  const agents = page.getByRole('region', { name: 'Agentes' });
  const form = agents.getByRole('form', { name: 'Novo agente' });
  await form.getByLabel('Nome').fill(`Leo ${suffix}`);
  await form.getByLabel('E-mail').fill(`leo${suffix}@e2e.local`);
  await form.getByLabel('Senha').fill('senha-do-leo');
  await form.getByLabel('Geral').check();
  await form.getByRole('button', { name: 'Salvar' }).click();
  await expect(agents.getByRole('row').filter({ hasText: `leo${suffix}@e2e.local` })).toContainText('Ativo');

  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const agent = await context.newPage();
  const signIn = async (password: string) => {
    await agent.goto('/entrar');
    await agent.getByLabel('E-mail').fill(`leo${suffix}@e2e.local`);
    await agent.getByLabel('Senha').fill(password);
    await agent.getByRole('button', { name: 'Entrar' }).click();
  };
  await signIn('senha-do-leo');
  await expect(agent.getByRole('heading', { name: 'Atendimentos' })).toBeVisible();

  await agents.getByRole('button', { name: `Redefinir senha de Leo ${suffix}` }).click();
  const reset = agents.getByRole('form', { name: `Redefinir senha de Leo ${suffix}` });
  await reset.getByLabel('Nova senha').fill('curta');
  await reset.getByRole('button', { name: 'Salvar senha' }).click();
  await expect(reset.getByRole('alert')).toHaveText('A senha precisa ter pelo menos 8 caracteres.');
  await reset.getByLabel('Nova senha').fill('senha-dada-pelo-admin');
  await reset.getByRole('button', { name: 'Salvar senha' }).click();
  await expect(agents.getByRole('status')).toContainText(`Senha de Leo ${suffix} redefinida`);
  // Signed out everywhere: the open console may leave for /entrar by itself (the live stream says the session
  // ended) while this reload is on its way, which interrupts the reload; either way it ends at /entrar.
  await agent.goto('/').catch(() => undefined);
  await expect(agent).toHaveURL(/\/entrar$/);

  await signIn('senha-dada-pelo-admin');
  await expect(agent.getByRole('heading', { name: 'Atendimentos' })).toBeVisible();
  await expect(agent.locator('body[data-hydrated="true"]')).toBeAttached();
  await agent.getByRole('button', { name: 'Mais opções' }).click();
  await agent.getByRole('menuitem', { name: 'Alterar senha' }).click();
  await expect(agent.getByRole('heading', { name: 'Alterar senha' })).toBeVisible();
  await expect(agent.locator('body[data-hydrated="true"]')).toBeAttached();
  const change = agent.getByRole('form', { name: 'Alterar senha' });
  await change.getByLabel('Senha atual').fill('senha-errada');
  await change.getByLabel('Nova senha').fill('senha-que-o-leo-escolheu');
  await change.getByRole('button', { name: 'Alterar senha' }).click();
  await expect(change.getByRole('alert')).toHaveText('A senha atual não confere.');
  await change.getByLabel('Senha atual').fill('senha-dada-pelo-admin');
  await change.getByRole('button', { name: 'Alterar senha' }).click();
  await expect(change.getByRole('status')).toHaveText('Senha alterada. As suas outras sessões foram encerradas.');
  await agent.goto('/');
  await expect(agent.getByRole('heading', { name: 'Atendimentos' })).toBeVisible();

  await signIn('senha-dada-pelo-admin');
  await expect(agent.getByRole('alert')).toHaveText('E-mail ou senha incorretos.');
  await signIn('senha-que-o-leo-escolheu');
  await expect(agent.getByRole('heading', { name: 'Atendimentos' })).toBeVisible();
  await context.close();
});

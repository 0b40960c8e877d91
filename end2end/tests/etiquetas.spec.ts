import { test, expect } from '@playwright/test';
import { contactWrites, openAtendimentos, takeConversation, uniqueMobile } from './helpers';

// Issue #19: "Etiquetas" kept by an admin on a screen of their own, put on a conversation from its header,
// shown in the list, and the list's "Filtrar" by label (and team, channel, status, agent).
test('uma etiqueta criada vai para o atendimento pelo cabeçalho, aparece na lista e filtra a lista', async ({ page }) => {
  const suffix = String(Date.now() % 100000);
  const name = `VIP ${suffix}`;

  await openAtendimentos(page);
  await page.getByRole('button', { name: 'Mais opções' }).click();
  await page.getByRole('menuitem', { name: 'Etiquetas' }).click();
  await expect(page.getByRole('heading', { name: 'Etiquetas', level: 1 })).toBeVisible();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();

  const form = page.getByRole('form', { name: 'Etiqueta' });
  // An empty name is refused as it is sent, in Portuguese.
  await form.getByRole('button', { name: 'Salvar' }).click();
  await expect(form.getByRole('alert')).toHaveText('Dê um nome à etiqueta.');
  await form.getByLabel('Nome').fill(name);
  await form.getByRole('radio', { name: 'Amarelo' }).check();
  await form.getByRole('button', { name: 'Salvar' }).click();
  const list = page.getByRole('list', { name: 'Etiquetas' });
  await expect(list.getByRole('listitem').filter({ hasText: name })).toContainText('Amarelo');
  // The same name again, case aside, is refused by the server and nothing changes.
  await form.getByLabel('Nome').fill(name.toLowerCase());
  await form.getByRole('button', { name: 'Salvar' }).click();
  await expect(form.getByRole('alert')).toHaveText(`Já existe uma etiqueta “${name.toLowerCase()}”: escolha outro nome.`);
  await expect(list.getByRole('listitem').filter({ hasText: name })).toHaveCount(1);
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.screenshot({ path: '../target/screens/etiquetas-1366.png' });

  // Two contacts write; one conversation gets the label from its header.
  const phone = uniqueMobile();
  const labelled = `Cliente Etiqueta ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, labelled, 'Quero comprar de novo');
  const other = uniqueMobile();
  const plain = `Cliente Sem Etiqueta ${other.typed.slice(-4)}`;
  await contactWrites(page, `55${other.typed.replace(/\D/g, '')}`, plain, 'Oi');
  await takeConversation(page, plain);
  const pane = await takeConversation(page, labelled);
  const labels = pane.getByLabel('Etiquetas do atendimento');
  await labels.getByRole('combobox', { name: 'Adicionar etiqueta' }).selectOption({ label: name });
  await expect(labels.locator('.label-chip', { hasText: name })).toBeVisible();
  await expect(labels.getByRole('combobox', { name: 'Adicionar etiqueta' }).locator('option', { hasText: name })).toHaveCount(0);

  // The list shows it on the row, and "Filtrar" by it keeps only that conversation.
  const tabPanel = page.getByRole('tabpanel');
  const row = tabPanel.getByRole('listitem').filter({ hasText: labelled });
  await expect(row.locator('.label-chip', { hasText: name })).toBeVisible();
  await expect(tabPanel.getByRole('listitem').filter({ hasText: plain })).toBeVisible();
  await page.getByRole('button', { name: 'Filtrar' }).click();
  const filters = page.getByRole('group', { name: 'Filtros da lista' });
  await filters.getByRole('combobox', { name: 'Etiqueta', exact: true }).selectOption({ label: name });
  await expect(page.getByRole('button', { name: 'Filtrar (1)' })).toBeVisible();
  await expect(tabPanel.getByRole('listitem').filter({ hasText: plain })).toHaveCount(0);
  await expect(row).toBeVisible();
  await page.screenshot({ path: '../target/screens/etiquetas-filtro-1366.png' });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.getByRole('button', { name: '← Atendimentos' }).click();
  await page.screenshot({ path: '../target/screens/etiquetas-filtro-360.png' });
  await page.setViewportSize({ width: 1366, height: 768 });
  // A channel the conversation is not on empties the list; "Limpar filtros" brings everything back.
  await filters.getByRole('combobox', { name: 'Canal', exact: true }).selectOption({ label: 'Instagram' });
  await expect(page.getByText('Nenhum atendimento com estes filtros.')).toBeVisible();
  await page.getByRole('button', { name: 'Limpar filtros' }).click();
  await expect(tabPanel.getByRole('listitem').filter({ hasText: plain })).toBeVisible();

  // Taken off from the header: gone from the row too.
  await row.getByRole('button', { name: labelled }).click();
  await pane.getByRole('button', { name: `Tirar a etiqueta ${name}` }).click();
  await expect(labels.locator('.label-chip', { hasText: name })).toHaveCount(0);
  await expect(row.locator('.label-chip', { hasText: name })).toHaveCount(0);
});

// Labels on contacts: the same labels, put on a contact in CRM → Contatos (which filters by them) and shown,
// and taken off, in the header of the contact's conversation.
test('uma etiqueta vai para o contato no CRM, filtra os contatos e aparece no cabeçalho do atendimento', async ({ page }) => {
  const suffix = String(Date.now() % 100000);
  const name = `Ouro ${suffix}`;
  await page.goto('/etiquetas');
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  const form = page.getByRole('form', { name: 'Etiqueta' });
  await form.getByLabel('Nome').fill(name);
  await form.getByRole('radio', { name: 'Verde' }).check();
  await form.getByRole('button', { name: 'Salvar' }).click();
  await expect(page.getByRole('list', { name: 'Etiquetas' }).getByRole('listitem').filter({ hasText: name })).toBeVisible();

  const phone = uniqueMobile();
  const labelled = `Cliente Ouro ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, labelled, 'Oi de novo');
  const other = uniqueMobile();
  const plain = `Cliente Prata ${other.typed.slice(-4)}`;
  await contactWrites(page, `55${other.typed.replace(/\D/g, '')}`, plain, 'Oi');

  await openAtendimentos(page);
  await page.getByRole('button', { name: 'Mais opções' }).click();
  await page.getByRole('menuitem', { name: 'CRM → Contatos' }).click();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await page.getByLabel('Pesquisar por nome ou número').fill('Cliente');
  const contacts = page.getByRole('list', { name: 'Contatos' });
  // The search's rows, not the ones listed before it (a choice made in a row about to be replaced is lost).
  await expect(contacts.getByRole('listitem').filter({ hasNotText: 'Cliente' })).toHaveCount(0);
  const row = contacts.getByRole('listitem').filter({ hasText: labelled });
  const chips = row.getByLabel('Etiquetas do contato');
  await chips.getByRole('combobox', { name: 'Adicionar etiqueta ao contato' }).selectOption({ label: name });
  await expect(chips.locator('.label-chip', { hasText: name })).toBeVisible();
  await expect(contacts.getByRole('listitem').filter({ hasText: plain })).toBeVisible();

  // "Etiqueta" keeps only the contacts with it.
  await page.getByRole('combobox', { name: 'Etiqueta', exact: true }).selectOption({ label: name });
  await expect(contacts.getByRole('listitem').filter({ hasText: plain })).toHaveCount(0);
  await expect(row).toBeVisible();
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.screenshot({ path: '../target/screens/etiquetas-contato-crm-1366.png' });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: '../target/screens/etiquetas-contato-crm-360.png' });
  await page.setViewportSize({ width: 1366, height: 768 });

  // The conversation's header shows the contact's labels apart from the conversation's, and takes them off.
  const pane = await takeConversation(page, labelled);
  const onContact = pane.getByLabel('Etiquetas do contato');
  await expect(onContact.locator('.label-chip', { hasText: name })).toBeVisible();
  await expect(pane.getByLabel('Etiquetas do atendimento').locator('.label-chip', { hasText: name })).toHaveCount(0);
  await page.screenshot({ path: '../target/screens/etiquetas-contato-cabecalho-1366.png' });
  await pane.getByRole('button', { name: `Tirar do contato a etiqueta ${name}` }).click();
  await expect(onContact.locator('.label-chip', { hasText: name })).toHaveCount(0);
});

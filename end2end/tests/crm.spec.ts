import { test, expect } from '@playwright/test';
import { openAtendimentos, uniqueMobile } from './helpers';

// Reiniciar, Passo 1: "Contatos pesquisados ... no menu CRM -> Contatos".
test('CRM → Contatos: criar, pesquisar, editar sem duplicar número e abrir o atendimento', async ({ page }) => {
  await openAtendimentos(page);
  await page.getByRole('button', { name: 'Mais opções' }).click();
  await page.getByRole('menuitem', { name: 'CRM → Contatos' }).click();
  await expect(page.getByRole('heading', { name: 'CRM → Contatos' })).toBeVisible();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();

  const first = uniqueMobile();
  const second = uniqueMobile();
  const name = `CRM ${first.typed.slice(-4)}`;
  for (const [who, phone] of [[name, first.typed], [`${name} B`, second.typed]]) {
    await page.getByRole('button', { name: 'Novo contato' }).click();
    const form = page.getByRole('dialog', { name: 'Novo contato' });
    await form.getByLabel('Nome').fill(who);
    await form.getByLabel('Número com DDD').fill(phone);
    await form.getByRole('button', { name: 'Salvar' }).click();
    await expect(form).toBeHidden();
  }

  const contacts = page.getByRole('list', { name: 'Contatos' });
  await page.getByLabel('Pesquisar por nome ou número').fill(name);
  await expect(contacts.getByRole('listitem')).toHaveCount(2);

  // Edit: a new name is kept; another contact's number is refused with the reason.
  await page.getByRole('button', { name: `Editar ${name} B` }).click();
  const edit = page.getByRole('dialog', { name: 'Editar contato' });
  await edit.getByLabel('Nome').fill(`${name} Bis`);
  await edit.getByLabel('Número com DDD').fill(first.typed);
  await edit.getByRole('button', { name: 'Salvar' }).click();
  await expect(edit.getByText(`Já existe um contato com este número: ${name}.`)).toBeVisible();
  await edit.getByLabel('Número com DDD').fill(second.typed);
  await edit.getByRole('button', { name: 'Salvar' }).click();
  await expect(contacts).toContainText(`${name} Bis`);

  // Without a conversation yet, the contact opens "Enviar mensagem" on the Atendimentos screen.
  await page.getByRole('link', { name: `Abrir atendimento com ${name} Bis` }).click();
  const send = page.getByRole('dialog', { name: 'Enviar mensagem' });
  await expect(send).toContainText('Contato encontrado');
  await expect(send).toContainText(`${name} Bis`);
});

import { test, expect } from '@playwright/test';
import { openAtendimentos, uniqueMobile } from './helpers';

// Iniciar atendimento pelo "Menu de Opções" → "Adicionar um novo contato".
test.describe('⋮ → Novo atendimento → Novo contato', () => {
  test('o contato salvo aparece na lista e é encontrado por nome ou número', async ({ page }) => {
    const errors = await openAtendimentos(page);
    const phone = uniqueMobile();
    const name = `Maria Teste ${phone.typed.slice(-4)}`;

    await page.getByRole('button', { name: 'Mais opções' }).click();
    await page.getByRole('menuitem', { name: 'Novo atendimento' }).click();
    const panel = page.getByRole('dialog', { name: 'Novo atendimento' });
    await expect(panel).toBeVisible();

    await panel.getByRole('button', { name: 'Novo contato' }).click();
    const form = panel.getByRole('dialog', { name: 'Novo contato' });
    await form.getByLabel('Nome').fill(name);
    await form.getByLabel('Número com DDD').fill(phone.typed);
    await form.getByRole('button', { name: 'Salvar' }).click();
    await expect(form).toBeHidden();

    const contacts = panel.getByRole('list', { name: 'Contatos' });
    await expect(contacts).toContainText(name);
    await expect(contacts).toContainText(phone.shown);

    const search = panel.getByLabel('Pesquisar por nome ou número');
    await search.fill(name.toUpperCase());
    await expect(contacts.getByRole('listitem')).toHaveCount(1);
    await search.fill(phone.typed.replace(/\D/g, '').slice(-8));
    await expect(contacts.getByRole('listitem')).toHaveCount(1);
    await expect(contacts).toContainText(name);
    await search.fill('ninguém com este nome');
    await expect(panel.getByText('Nenhum contato encontrado.')).toBeVisible();
    expect(errors).toEqual([]);
  });

  test('um número sem DDD é recusado na hora, com o motivo, e nada é salvo', async ({ page }) => {
    await openAtendimentos(page);
    await page.getByRole('button', { name: 'Mais opções' }).click();
    await page.getByRole('menuitem', { name: 'Novo atendimento' }).click();
    const panel = page.getByRole('dialog', { name: 'Novo atendimento' });
    await panel.getByRole('button', { name: 'Novo contato' }).click();
    const form = panel.getByRole('dialog', { name: 'Novo contato' });

    let serverCalls = 0;
    page.on('request', (r) => { if (r.url().includes('/api/create_contact')) serverCalls += 1; });
    await form.getByLabel('Nome').fill('Sem DDD');
    await form.getByLabel('Número com DDD').fill('98765-4321');
    await form.getByRole('button', { name: 'Salvar' }).click();
    await expect(form.getByText('Informe o número com DDD, por exemplo (11) 98765-4321.')).toBeVisible();
    await expect(form.getByLabel('Número com DDD')).toHaveAttribute('aria-invalid', 'true');
    // Instant: the domain answered in the browser, no request was made.
    expect(serverCalls).toBe(0);
    await form.getByLabel('Número com DDD').fill('(11) 9876');
    await expect(form.getByText(/O número digitado tem 6 dígitos/)).toBeVisible();
  });

  test('um número já cadastrado, mesmo sem o nono dígito, não vira contato duplicado', async ({ page }) => {
    await openAtendimentos(page);
    const phone = uniqueMobile();
    const name = `Duplicado ${phone.typed.slice(-4)}`;
    await page.getByRole('button', { name: 'Mais opções' }).click();
    await page.getByRole('menuitem', { name: 'Novo atendimento' }).click();
    const panel = page.getByRole('dialog', { name: 'Novo atendimento' });
    for (const [who, typed] of [[name, phone.typed], ['Outro Nome', phone.typed.replace('(11) 9', '11 ')]]) {
      await panel.getByRole('button', { name: 'Novo contato' }).click();
      const form = panel.getByRole('dialog', { name: 'Novo contato' });
      await form.getByLabel('Nome').fill(who);
      await form.getByLabel('Número com DDD').fill(typed);
      await form.getByRole('button', { name: 'Salvar' }).click();
      if (who === name) await expect(form).toBeHidden();
    }
    const form = panel.getByRole('dialog', { name: 'Novo contato' });
    await expect(form.getByText(`Já existe um contato com este número: ${name}.`)).toBeVisible();
    await panel.getByLabel('Pesquisar por nome ou número').fill('Outro Nome');
    await expect(panel.getByText('Nenhum contato encontrado.')).toBeVisible();
  });
});

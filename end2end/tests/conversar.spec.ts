import { test, expect } from '@playwright/test';
import { openAtendimentos, uniqueMobile } from './helpers';

// Iniciar atendimento, Passo 1: o número com DDD e "Conversar" abrem o painel "Enviar mensagem".
test.describe('Número com DDD → Conversar', () => {
  test('um número sem DDD é recusado com o motivo', async ({ page }) => {
    await openAtendimentos(page);
    await page.getByLabel('Número com DDD').fill('98765-4321');
    await page.getByRole('button', { name: 'Conversar' }).click();
    await expect(page.getByText('Informe o número com DDD, por exemplo (11) 98765-4321.')).toBeVisible();
    await expect(page.getByRole('dialog', { name: 'Enviar mensagem' })).toBeHidden();
  });

  test('o painel Enviar mensagem confirma o contato encontrado e pede o tipo de envio', async ({ page }) => {
    await openAtendimentos(page);
    const phone = uniqueMobile();
    const name = `Conversar ${phone.typed.slice(-4)}`;
    await page.getByRole('button', { name: 'Mais opções' }).click();
    await page.getByRole('menuitem', { name: 'Novo atendimento' }).click();
    const panel = page.getByRole('dialog', { name: 'Novo atendimento' });
    await panel.getByRole('button', { name: 'Novo contato' }).click();
    const form = panel.getByRole('dialog', { name: 'Novo contato' });
    await form.getByLabel('Nome').fill(name);
    await form.getByLabel('Número com DDD').fill(phone.typed);
    await form.getByRole('button', { name: 'Salvar' }).click();
    await expect(form).toBeHidden();
    await panel.getByRole('button', { name: 'Fechar' }).click();

    // Typed without the ninth digit and without punctuation: still the same contact.
    await page.getByLabel('Número com DDD').fill(phone.typed.replace(/\D/g, '').replace(/^119/, '11'));
    await page.getByRole('button', { name: 'Conversar' }).click();
    const send = page.getByRole('dialog', { name: 'Enviar mensagem' });
    await expect(send).toContainText('Contato encontrado');
    await expect(send).toContainText(name);
    await expect(send.getByRole('group', { name: 'Selecione o tipo de envio' })).toBeVisible();
    await send.getByRole('radio', { name: 'Iniciar atendimento' }).check();
    await expect(send.getByRole('group', { name: 'Selecione o canal' })).toBeVisible();
  });

  test('o contato do painel Novo atendimento abre o mesmo painel', async ({ page }) => {
    await openAtendimentos(page);
    const phone = uniqueMobile();
    const name = `Ícone ${phone.typed.slice(-4)}`;
    await page.getByRole('button', { name: 'Mais opções' }).click();
    await page.getByRole('menuitem', { name: 'Novo atendimento' }).click();
    const panel = page.getByRole('dialog', { name: 'Novo atendimento' });
    await panel.getByRole('button', { name: 'Novo contato' }).click();
    const form = panel.getByRole('dialog', { name: 'Novo contato' });
    await form.getByLabel('Nome').fill(name);
    await form.getByLabel('Número com DDD').fill(phone.typed);
    await form.getByRole('button', { name: 'Salvar' }).click();
    await panel.getByRole('button', { name: `Iniciar atendimento com ${name}` }).click();
    await expect(panel).toBeHidden();
    const sendPanel = page.getByRole('dialog', { name: 'Enviar mensagem' });
    await expect(sendPanel).toContainText(name);
    // From the keyboard: Escape closes a panel; the contacts' search takes the typing as the panel opens.
    await sendPanel.getByRole('button', { name: 'Fechar' }).focus();
    await page.keyboard.press('Escape');
    await expect(sendPanel).toBeHidden();
    await page.getByRole('button', { name: 'Mais opções' }).click();
    await page.getByRole('menuitem', { name: 'Novo atendimento' }).click();
    await expect(panel.getByRole('searchbox', { name: 'Pesquisar por nome ou número' })).toBeFocused();
    await page.keyboard.type(name);
    await expect(panel.getByRole('button', { name: `Iniciar atendimento com ${name}` })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(panel).toBeHidden();
  });
});

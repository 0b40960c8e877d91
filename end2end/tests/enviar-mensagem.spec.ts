import { test, expect } from '@playwright/test';
import { contactWrites, conversarComNovoContato, openAtendimentos, openConversation, takeConversation, uniqueMobile } from './helpers';

// Issue #16: "Enviar mensagem" offers only the channels that reach the contact, says why for the others,
// lets the agent add the number, and shows the steps in order (contato → tipo de envio → canal → equipe →
// modelo → parâmetros), each choice on screen and changeable from the keyboard.

async function openSendPanelFor(page: import('@playwright/test').Page, name: string) {
  await openAtendimentos(page);
  await page.getByRole('button', { name: 'Mais opções' }).click();
  await page.getByRole('menuitem', { name: 'Novo atendimento' }).click();
  const picker = page.getByRole('dialog', { name: 'Novo atendimento' });
  await picker.getByRole('searchbox', { name: 'Pesquisar por nome ou número' }).fill(name);
  await picker.getByRole('button', { name: `Iniciar atendimento com ${name}` }).click();
  const panel = page.getByRole('dialog', { name: 'Enviar mensagem' });
  await expect(panel).toContainText('Contato encontrado');
  return panel;
}

test('um contato só do Instagram não é oferecido no WhatsApp até ganhar um número', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Só Insta ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Oi pelo Direct', '0', 'instagram');

  const panel = await openSendPanelFor(page, name);
  await panel.getByRole('radio', { name: 'Iniciar atendimento' }).check();
  const channels = panel.getByRole('group', { name: 'Selecione o canal' });
  await expect(channels.getByRole('radio', { name: /Instagram/ })).toBeVisible();
  await expect(channels.getByRole('radio', { name: /WhatsApp/ })).toHaveCount(0);
  const unavailable = channels.getByRole('list', { name: 'Canais indisponíveis para este contato' });
  await expect(unavailable).toContainText('API Oficial');
  await expect(unavailable).toContainText('O contato não tem número de telefone: adicione o número com DDD');

  // "Adicionar número": checked as typed, then the WhatsApp channels are offered.
  await channels.getByRole('button', { name: 'Adicionar número' }).click();
  await channels.getByLabel('Número com DDD').fill('98765');
  await channels.getByRole('button', { name: 'Salvar número' }).click();
  await expect(channels.getByRole('alert').filter({ hasText: 'DDD' })).toBeVisible();
  await channels.getByLabel('Número com DDD').fill(phone.typed);
  await channels.getByRole('button', { name: 'Salvar número' }).click();
  await expect(panel).toContainText(phone.shown);
  await expect(channels.getByRole('radio', { name: /API Oficial/ })).toBeVisible();
  await expect(channels.getByRole('radio', { name: /API Não Oficial/ }).first()).toBeVisible();
  await expect(unavailable).not.toContainText('WhatsApp');
  await expect(unavailable).toContainText('O contato nunca escreveu pelo Messenger');
  await expect(panel.getByRole('radio', { name: 'Iniciar atendimento' })).toBeChecked();
  await page.screenshot({ path: 'test-results/enviar-mensagem-numero-adicionado.png' });
});

test('os passos aparecem em ordem, numerados, e cada escolha pode ser mudada pelo teclado', async ({ page }) => {
  const { panel } = await conversarComNovoContato(page, 'Passos');

  const steps = panel.getByRole('list').first();
  await expect(steps.locator(':scope > li')).toHaveCount(2);
  // Keyboard only: the type of send, the channel, the team.
  await panel.getByRole('radio', { name: 'Iniciar atendimento' }).focus();
  await page.keyboard.press('Space');
  await expect(steps.locator(':scope > li')).toHaveCount(4);
  const channels = panel.getByRole('group', { name: 'Selecione o canal' });
  await channels.getByRole('radio', { name: /API Oficial/ }).focus();
  await page.keyboard.press('Space');
  await expect(channels.getByRole('radio', { name: /API Oficial/ })).toBeChecked();
  const team = panel.getByRole('combobox', { name: 'Selecione a equipe' });
  await team.selectOption({ label: 'Geral' });
  await expect(steps.locator(':scope > li')).toHaveCount(5);
  await expect(panel.getByRole('group', { name: 'Modelos de mensagem' })).toBeVisible();
  // The earlier choices stay on screen, and changing the channel clears the template step's choice.
  await expect(team).toHaveValue(/\d+/);
  await expect(panel.getByRole('radio', { name: 'Iniciar atendimento' })).toBeChecked();
  // Each step is beside its number, one under the other (not side by side on one line).
  const teamBox = await team.boundingBox();
  const channelBox = await channels.boundingBox();
  expect(teamBox && channelBox && teamBox.y > channelBox.y + channelBox.height - 1).toBeTruthy();
  await page.screenshot({ path: 'test-results/enviar-mensagem-passos.png' });

  // Errors once: an empty parameter is said by its field, not repeated in a line below the form.
  await panel.getByRole('radio', { name: /pedido_saiu_para_entrega/ }).check();
  await panel.getByRole('button', { name: 'Continuar' }).click();
  await panel.getByRole('button', { name: 'Iniciar atendimento' }).click();
  await expect(panel.getByText('Preencha o campo “Corpo {{1}}”.')).toHaveCount(1);
  await expect(panel.getByText('Preencha o campo “Corpo {{2}}”.')).toHaveCount(1);
  await expect(panel.locator('.template-form > p.error')).toBeEmpty();
});

test('Reiniciar oferece só os modelos de atendimento, com busca, e o administrador escolhe quais', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Modelos ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Oi', '25');
  const pane = await takeConversation(page, name);
  await pane.getByRole('button', { name: 'Reiniciar' }).click();
  const panel = page.getByRole('dialog', { name: 'Reiniciar atendimento' });
  const picker = panel.getByRole('group', { name: 'Modelos de mensagem' });
  await expect(picker.getByRole('radio', { name: /pedido_saiu_para_entrega/ })).toBeVisible();
  await expect(picker.getByRole('radio', { name: /pedido_saiu_para_entrega/ })).toHaveAccessibleName(/Utilidade · pt_BR/);
  // Marketing is not "de atendimento" until an admin says so.
  await expect(picker.getByText('promocao_aniversario')).toHaveCount(0);
  // Found by a word of its name or text, accents and case ignored.
  await picker.getByRole('searchbox', { name: 'Pesquisar modelo' }).fill('RETOMAR');
  await expect(picker.getByRole('radio', { name: /retomar_atendimento/ })).toBeVisible();
  await expect(picker.getByRole('radio', { name: /pedido_saiu_para_entrega/ })).toBeHidden();
  await picker.getByRole('radio', { name: /retomar_atendimento/ }).check();
  await expect(panel.getByRole('button', { name: 'Continuar' })).toBeInViewport();
  // The panel leaves the conversation's header (the contact, the window) in sight.
  const header = await pane.getByRole('heading', { name }).boundingBox();
  const box = await panel.boundingBox();
  expect(header && box && box.y > header.y + header.height).toBeTruthy();
  await page.screenshot({ path: 'test-results/reiniciar-modelos.png' });

  // Administração → Modelos de mensagem → "De atendimento".
  await page.goto('/admin');
  const templates = page.getByRole('region', { name: 'Modelos de mensagem' });
  const birthday = templates.getByRole('checkbox', { name: 'De atendimento: promocao_aniversario (pt_BR)' });
  await expect(birthday).not.toBeChecked();
  await expect(templates.getByRole('checkbox', { name: 'De atendimento: pedido_saiu_para_entrega (pt_BR)' })).toBeChecked();
  await birthday.check();
  await expect(birthday).toBeChecked();
  const again = await openConversation(page, name);
  await again.getByRole('button', { name: 'Reiniciar' }).click();
  await expect(page.getByRole('dialog', { name: 'Reiniciar atendimento' }).getByRole('radio', { name: /promocao_aniversario/ })).toBeVisible();
  // Back as it was, for the other specs.
  await page.goto('/admin');
  await page.getByRole('region', { name: 'Modelos de mensagem' })
    .getByRole('checkbox', { name: 'De atendimento: promocao_aniversario (pt_BR)' }).uncheck();
  await expect(page.getByRole('region', { name: 'Modelos de mensagem' })
    .getByRole('checkbox', { name: 'De atendimento: promocao_aniversario (pt_BR)' })).not.toBeChecked();
});

test('os parâmetros mostram a frase em volta, o exemplo da Meta e o nome que o administrador deu', async ({ page }) => {
  // Administração → Modelos de mensagem → "Nomear": Corpo {{1}} of pedido_saiu_para_entrega.
  await page.goto('/admin');
  const templates = page.getByRole('region', { name: 'Modelos de mensagem' });
  await templates.getByRole('button', { name: 'Nomear parâmetros de pedido_saiu_para_entrega' }).first().click();
  const form = templates.getByRole('form', { name: 'Nomear parâmetros de pedido_saiu_para_entrega' });
  const first = form.getByRole('group', { name: 'Corpo {{1}}' });
  await first.getByLabel('Nome', { exact: true }).fill('Nome do cliente');
  await first.getByLabel('Preencher com').selectOption({ label: 'Primeiro nome do contato' });
  await form.getByRole('button', { name: 'Salvar nomes' }).click();
  await expect(form).toBeHidden();

  const phone = uniqueMobile();
  const name = `Paula Parâmetros ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Oi', '25');
  const pane = await takeConversation(page, name);
  await pane.getByRole('button', { name: 'Reiniciar' }).click();
  const panel = page.getByRole('dialog', { name: 'Reiniciar atendimento' });
  await panel.getByRole('radio', { name: /pedido_saiu_para_entrega/ }).check();
  await panel.getByRole('button', { name: 'Continuar' }).click();
  const customer = panel.getByLabel('Nome do cliente');
  await expect(customer).toHaveValue('Paula');
  await expect(customer).toHaveAccessibleDescription(/Olá\s*____\s*, seu pedido .*Exemplo: Maria/);
  await expect(panel.getByLabel('Corpo {{2}}')).toHaveAccessibleDescription(/seu pedido\s*____\s*saiu para entrega.*Exemplo:/);
  await page.screenshot({ path: 'test-results/parametros.png' });

  // Back as it was, for the other specs (they fill "Corpo {{1}}").
  await page.goto('/admin');
  await templates.getByRole('button', { name: 'Nomear parâmetros de pedido_saiu_para_entrega' }).first().click();
  await form.getByRole('group', { name: 'Corpo {{1}}' }).getByLabel('Nome', { exact: true }).fill('');
  await form.getByRole('group', { name: 'Corpo {{1}}' }).getByLabel('Preencher com').selectOption({ label: 'Nada (o agente digita)' });
  await form.getByRole('button', { name: 'Salvar nomes' }).click();
  await expect(form).toBeHidden();
});

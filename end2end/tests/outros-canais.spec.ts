import { test, expect } from '@playwright/test';
import { contactWrites, conversarComNovoContato, openConversation, takeConversation, uniqueMobile } from './helpers';

// Iniciar atendimento, "Para API Não Oficial": channel, then team, and the conversation opens by itself.
test('na API Não Oficial o atendimento abre ao escolher a equipe, sem modelo', async ({ page }) => {
  const { panel, name } = await conversarComNovoContato(page, 'Não Oficial');
  await panel.getByRole('radio', { name: 'Iniciar atendimento' }).check();
  await panel.getByRole('group', { name: 'Selecione o canal' }).getByRole('radio', { name: /WhatsApp Não Oficial \(sandbox\)/ }).check();
  await expect(panel.getByRole('button', { name: 'Continuar' })).toBeHidden(); // no template here
  await panel.getByRole('combobox', { name: 'Selecione a equipe' }).selectOption({ label: 'Geral' });

  const pane = page.getByRole('region', { name: 'Atendimento' });
  await expect(pane.getByRole('heading', { name })).toBeVisible();
  await pane.getByLabel('Mensagem', { exact: true }).fill('Olá! Aqui é da loja.');
  await pane.getByRole('button', { name: 'Enviar', exact: true }).click();
  const sent = pane.getByRole('listitem').filter({ hasText: 'Olá! Aqui é da loja.' });
  await expect(sent).toContainText('Lida', { timeout: 15_000 });
});

// Reiniciar: "Instagram e Messenger não podem ser reiniciados depois que a janela fechou".
test('no Instagram com a janela fechada não há Reiniciar e o motivo aparece', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Insta ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Oi pelo Direct', '25', 'instagram');
  const pane = await takeConversation(page, name);
  await expect(pane.getByRole('status').filter({ hasText: 'Instagram está fechada' })).toBeVisible();
  await expect(pane.getByLabel('Mensagem', { exact: true })).toBeDisabled();
  await expect(pane.getByRole('button', { name: 'Reiniciar' })).toBeHidden();
});

test('no Messenger depois de 24 horas a resposta sai com a etiqueta HUMAN_AGENT', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Messenger ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Oi pelo Messenger', '25', 'messenger');
  const pane = await takeConversation(page, name);
  await expect(pane.getByRole('status').filter({ hasText: 'HUMAN_AGENT' })).toBeVisible();
  await pane.getByLabel('Mensagem', { exact: true }).fill('Desculpe a demora!');
  await pane.getByRole('button', { name: 'Enviar', exact: true }).click();
  const sent = pane.getByRole('listitem').filter({ hasText: 'Desculpe a demora!' });
  await expect(sent).toContainText('Lida', { timeout: 15_000 });
});

test('Anexar: uma imagem por link, com legenda, sai pela API Não Oficial e chega a Lida', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Anexo ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Me manda a foto do bolo?', '0', 'nao_oficial');
  const pane = await takeConversation(page, name);
  await pane.getByRole('button', { name: 'Anexar' }).click();
  const form = pane.getByRole('form', { name: 'Anexar arquivo' });
  await form.getByLabel('Tipo de anexo').selectOption({ label: 'Imagem' });
  await form.getByLabel('Link do arquivo').fill('http://loja.com.br/bolo.jpg');
  await form.getByRole('button', { name: 'Enviar anexo' }).click();
  await expect(form.getByRole('alert')).toHaveText('O link precisa começar com https:// e apontar para um arquivo público.');
  await form.getByLabel('Link do arquivo').fill('https://loja.com.br/bolo.jpg');
  await form.getByLabel('Legenda (opcional)').fill('Seu bolo ficou pronto!');
  await form.getByRole('button', { name: 'Enviar anexo' }).click();
  await expect(form).toBeHidden();
  const sent = pane.getByRole('listitem').filter({ hasText: 'Seu bolo ficou pronto!' });
  await expect(sent).toContainText('Imagem');
  await expect(sent).toContainText('Lida', { timeout: 15_000 });
});

// A concluded conversation: what the composer says matches what the agent can do on each channel.
test('concluído na API Não Oficial: escrever reabre o atendimento, sem Reiniciar', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Reabre ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Obrigado, era só isso', '0', 'nao_oficial');
  const pane = await takeConversation(page, name);
  await pane.getByRole('button', { name: 'Concluir' }).click();
  await expect(pane.getByText('Concluído', { exact: true })).toBeVisible();
  await expect(
    pane.getByRole('status').filter({ hasText: 'Na API Não Oficial não há janela de conversa: ao enviar uma mensagem, o atendimento é reaberto.' }),
  ).toBeVisible();
  await expect(pane.getByText(/Reinicie o atendimento/)).toBeHidden();
  await expect(pane.getByRole('button', { name: 'Reiniciar' })).toBeHidden();
  await pane.getByLabel('Mensagem', { exact: true }).fill('Mais uma coisa: o pedido chegou?');
  await pane.getByRole('button', { name: 'Enviar', exact: true }).click();
  await expect(pane.getByRole('listitem').filter({ hasText: 'Mais uma coisa' })).toContainText('Lida', { timeout: 15_000 });
  await expect(pane.getByRole('button', { name: 'Concluir' })).toBeVisible(); // open again
});

test('concluído no Messenger com a janela aberta: a resposta reabre; no Instagram o texto tem até 1000 bytes', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Pagina ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Valeu!', '0', 'messenger');
  const pane = await takeConversation(page, name);
  await pane.getByRole('button', { name: 'Concluir' }).click();
  await expect(pane.getByText('Concluído', { exact: true })).toBeVisible();
  await expect(
    pane.getByRole('status').filter({ hasText: 'a janela de conversa do Messenger ainda está aberta: ao responder, o atendimento é reaberto.' }),
  ).toBeVisible();
  await expect(pane.getByRole('button', { name: 'Reiniciar' })).toBeHidden();
  await expect(pane.getByLabel('Mensagem', { exact: true })).toBeEnabled();

  const other = uniqueMobile();
  const insta = `Limite ${other.typed.slice(-4)}`;
  await contactWrites(page, `55${other.typed.replace(/\D/g, '')}`, insta, 'Oi pelo Direct', '0', 'instagram');
  const direct = await takeConversation(page, insta);
  await direct.getByLabel('Mensagem', { exact: true }).fill('ã'.repeat(501));
  await expect(
    direct.getByRole('alert').filter({ hasText: 'No Instagram a mensagem pode ter no máximo 1000 bytes' }),
  ).toContainText('esta tem 1002');
  await expect(direct.getByRole('button', { name: 'Enviar', exact: true })).toBeDisabled();
  await direct.getByLabel('Mensagem', { exact: true }).fill('ã'.repeat(500));
  await expect(direct.getByRole('button', { name: 'Enviar', exact: true })).toBeEnabled();
});

/**
 * Invitations: an owner invites people by user name from the project page (they join only by
 * accepting, and the server's answer does not tell whether the name exists); the signed-in
 * person accepts or declines theirs on the projects page. Names are shown as text, never HTML.
 */
import { describe, type Api } from './api';
import type { Invitation, Invited, MembershipOffer } from './generated/api-types';
import { $ } from './dom';

function button(text: string, onClick: () => Promise<void>): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.addEventListener('click', () => {
    b.disabled = true;
    void onClick().finally(() => { b.disabled = false; });
  });
  return b;
}

/**
 * Lists the signed-in person's pending invitations on the projects page, each with Accept and
 * Decline; `changed` runs after an answer (accepting adds the project to their list).
 */
export async function renderMyInvitations(api: Api, changed: () => void): Promise<void> {
  const invitations = await api.get<Invitation[]>('/invitations');
  const error = $('invitation-error');
  $('invitations').hidden = invitations.length === 0;
  $('invitation-list').replaceChildren(...invitations.map((inv) => {
    const li = document.createElement('li');
    const what = document.createElement('span');
    what.textContent = `${inv.project_name} — as ${inv.role}, invited by ${inv.invited_by} `;
    const project = encodeURIComponent(inv.project);
    const answer = (init: RequestInit, path: string) => async () => {
      error.textContent = '';
      try {
        await api.fetch(path, init);
        changed();
      } catch (err) {
        error.textContent = describe(err);
      }
    };
    li.append(
      what,
      button('Accept', answer({ method: 'POST' }, `/invitations/${project}/accept`)),
      ' ',
      button('Decline', answer({ method: 'DELETE' }, `/invitations/${project}`)),
    );
    li.dataset.project = inv.project;
    return li;
  }));
}

/** The owner's member controls of a project: invite by name, and the pending invitations. */
export async function renderMembers(api: Api, project: string): Promise<void> {
  const base = `/projects/${encodeURIComponent(project)}`;
  const status = $('invite-status');
  const refresh = async () => {
    const pending = await api.get<Invited[]>(`${base}/invitations`);
    $('pending-invitations').replaceChildren(...pending.map((inv) => {
      const li = document.createElement('li');
      li.textContent = `${inv.name} — invited as ${inv.role} by ${inv.invited_by} `;
      li.append(button('Withdraw', async () => {
        try {
          await api.fetch(`${base}/members/${encodeURIComponent(inv.name)}`, { method: 'DELETE' });
          status.textContent = `Withdrew the invitation of ${inv.name}.`;
          await refresh();
        } catch (err) {
          status.textContent = describe(err);
        }
      }));
      return li;
    }));
  };
  $<HTMLFormElement>('invite-form').onsubmit = (e) => {
    e.preventDefault();
    const name = $<HTMLInputElement>('invite-name').value.trim();
    const role = $<HTMLSelectElement>('invite-role').value;
    api.fetch(`${base}/members/${encodeURIComponent(name)}`, {
      method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ role }),
    })
      .then(async (response) => {
        const offer = (await response.json()) as MembershipOffer;
        status.textContent = offer.status === 'invited'
          ? `Invited ${offer.name} as ${offer.role}: they join when they accept (if a user has this name).`
          : `${offer.name} is now ${offer.role}.`;
        $<HTMLInputElement>('invite-name').value = '';
        await refresh();
      })
      .catch((err) => { status.textContent = describe(err); });
  };
  await refresh();
}

import { badge, clockStateBadges, day, h, named, stageNames, time } from '/assets/common.js';

// A case's steps and clocks as the petitioner's page and the case page show them: each step with its date,
// unit, what was said and the deadline it met or missed; each clock with its due date and state.

export function renderTimeline(list, timeline) {
  list.replaceChildren(
    ...timeline.map((step) =>
      h(
        'li',
        { 'data-step': step.step },
        h('strong', {}, step.label),
        ' ',
        h('span', { class: 'muted' }, time(step.time)),
        h('div', {}, step.unitName || step.unitId),
        step.detail ? h('div', { class: 'muted detail' }, step.detail) : undefined,
        step.deadline
          ? h(
              'div',
              {},
              `期限 ${day(step.deadline.dueTime)} `,
              badge(step.deadline.inTime ? ['ok', '按期'] : ['late', '超期']),
            )
          : step.dueTime
            ? h('div', { class: 'muted' }, `期限至 ${day(step.dueTime)}`)
            : undefined,
      ),
    ),
  );
}

/** The clocks as table rows; `unitOf(clock)` fills a unit column when the page shows one. */
export function clockRows(clocks, unitOf) {
  return clocks.map((k) =>
    h(
      'tr',
      { 'data-stage': k.stage },
      h('td', { 'data-label': '环节' }, named(stageNames, k.stage)),
      unitOf ? h('td', { 'data-label': '单位' }, unitOf(k)) : undefined,
      h('td', { 'data-label': '期限至' }, day(k.dueTime)),
      h(
        'td',
        { 'data-label': '状态' },
        badge(clockStateBadges[k.state] ?? ['run', k.state]),
        k.warned && k.state === 'running' ? badge(['warn', '即将到期']) : '',
      ),
    ),
  );
}

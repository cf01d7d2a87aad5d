import {
  $,
  api,
  categoryNames,
  channelNames,
  h,
  kindNames,
  named,
  refusalWords,
  say,
  signIn,
  stateNames,
  tokenLink,
  tokenStore,
} from '/assets/common.js';

// The registration page (/register): a unit's registrar enters a petition received by letter, visit, phone…
// Once the title and content are in, intake's classifier suggests a category and kind (beside the pickers;
// taken only with 采用建议). The registration goes to intake (POST /intake/v1/petitions); its answer is shown
// in words: the case number, the query code to give the petitioner (shown this once), where routing sent the
// case, and the same person's earlier cases it repeats (art 19). Intake decides who may register.

const accusation = '检举控告';
/** Intake's fields (JSON pointers of its problems) by their labels on this page, and the input for each. */
const fields = {
  '/channel': ['信访渠道', 'channel'],
  '/regionCode': ['问题属地', 'regionCode'],
  '/petitioner': ['信访人', 'name'],
  '/petitioner/name': ['信访人姓名', 'name'],
  '/petitioner/idNumber': ['居民身份证号码', 'idNumber'],
  '/petitioner/phone': ['联系电话', 'phone'],
  '/petitioner/address': ['住址', 'address'],
  '/title': ['标题', 'title'],
  '/content': ['信访内容', 'content'],
  '/category': ['类别', 'category'],
  '/kind': ['性质', 'kind'],
  '/anonymous': ['匿名', 'anonymous'],
  '/accusedUnitId': ['被检举控告单位编号', 'accusedUnitId'],
};

// Intake takes the channel's short name (LETTER), and the category and kind by their Chinese names.
for (const [value, name] of Object.entries(channelNames))
  $('channel').append(h('option', { value: value.replace(/^CHANNEL_/, '') }, name));
$('channel').value = 'VISIT';
for (const name of Object.values(categoryNames)) $('category').append(h('option', { value: name }, name));
for (const [value, name] of Object.entries(kindNames))
  if (value.startsWith('PETITION_KIND_')) $('kind').append(h('option', { value: name }, name));

const text = (id) => $(id).value.trim();
const percent = (confidence) => `${Math.round(Number(confidence) * 100)}%`;
const wait = (ms) => new Promise((done) => setTimeout(done, ms));
const caseLink = (c, ...words) => tokenLink(`/case?id=${encodeURIComponent(c.caseId)}`, ...words);

/** Only an accusation may be anonymous (art 30): then no petitioner is entered. */
function showAccusation() {
  const isAccusation = $('kind').value === accusation;
  $('accusation').hidden = !isAccusation;
  if (!isAccusation) $('anonymous').checked = false;
  $('petitioner').disabled = $('anonymous').checked;
  $('petitioner').hidden = $('anonymous').checked;
}
$('kind').addEventListener('change', showAccusation);
$('anonymous').addEventListener('change', showAccusation);

// ---- The suggestion: shown beside the pickers, applied only by 采用建议.

let suggestion;
/** Counts the requests, so that an answer to older words never replaces one to newer words. */
let asked = 0;

function renderSuggestion() {
  const s = suggestion;
  $('adopt').hidden = !s;
  $('suggestion-alternatives').hidden = !s?.alternatives?.length;
  if (!s) return;
  const same = $('category').value === s.categoryLabel && $('kind').value === s.kindLabel;
  $('suggestion-text').textContent =
    `系统建议：类别 ${s.categoryLabel}（置信度 ${percent(s.confidence)}），性质 ${s.kindLabel}（置信度 ${percent(s.kindConfidence)}）` +
    (same ? '，与当前选择一致。' : '。');
  $('suggestion-text').className = 'note';
  $('suggestion-alternatives').replaceChildren(
    '其他可能：',
    ...(s.alternatives ?? []).flatMap((a, i) => [
      i ? '、' : '',
      h('span', { 'data-category': a.category }, `${a.categoryLabel}（${percent(a.confidence)}）`),
    ]),
  );
}

async function suggest() {
  const title = text('title');
  const content = text('content');
  if (!title || !content) {
    $('suggestion-text').textContent = '请先填写标题和信访内容，再请系统建议分类。';
    $('suggestion-text').className = 'muted';
    return;
  }
  const ask = ++asked;
  try {
    const answer = await api('/intake/v1/petitions/suggest', {
      method: 'POST',
      token: tokenStore.get(),
      body: { title, content },
    });
    if (ask !== asked) return;
    suggestion = answer;
  } catch (err) {
    if (ask !== asked) return;
    suggestion = undefined;
    $('suggestion-text').textContent = `暂时无法给出建议：${err.message}`;
    $('suggestion-text').className = 'muted';
  }
  renderSuggestion();
}

let typing;
for (const id of ['title', 'content'])
  $(id).addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(suggest, 800);
  });
$('suggest').addEventListener('click', () => {
  clearTimeout(typing);
  suggest();
});
$('adopt').addEventListener('click', () => {
  if (!suggestion) return;
  $('category').value = suggestion.categoryLabel;
  $('kind').value = suggestion.kindLabel;
  showAccusation();
  renderSuggestion();
});
for (const id of ['category', 'kind']) $(id).addEventListener('change', renderSuggestion);

// ---- The registration.

function petitionBody() {
  const body = {
    channel: $('channel').value,
    regionCode: text('regionCode'),
    category: $('category').value,
    kind: $('kind').value,
    title: text('title'),
    content: text('content'),
  };
  if ($('anonymous').checked) body.anonymous = true;
  else {
    const petitioner = { name: text('name') };
    for (const id of ['idNumber', 'phone', 'address']) if (text(id)) petitioner[id] = text(id);
    body.petitioner = petitioner;
  }
  if (body.kind === accusation && text('accusedUnitId')) body.accusedUnitId = text('accusedUnitId');
  return body;
}

function clearInvalid() {
  for (const el of $('register-form').querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/** Intake's refusal in words: the fields named as this page labels them, the first of them marked. */
function refusalText(err) {
  const b = err.body ?? {};
  if (err.status === 403) return `本账号不能登记信访事项（须有登记员角色），未登记：${b.detail ?? err.message}`;
  if (err.status === 401) return `令牌无效或已过期，未登记：${b.detail ?? err.message}`;
  if (!Array.isArray(b.errors) || !b.errors.length) return `未登记：${refusalWords(err)}`;
  const problems = b.errors.map((e) => {
    const [label, input] = fields[e.field] ?? [e.field];
    if (input) $(input).setAttribute('aria-invalid', 'true');
    return `${label}（${e.field}）：${e.message}`;
  });
  const first = fields[b.errors[0].field]?.[1];
  if (first) $(first).focus();
  return `未登记，请更正：${problems.join('；')}`;
}

let submitting = false;
$('register-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  // One registration at a time: a second click while the first is on its way registers nothing more.
  if (submitting) return;
  submitting = true;
  $('submit').disabled = true;
  clearInvalid();
  say($('register-message'), '正在登记…', true);
  try {
    const answer = await api('/intake/v1/petitions', { method: 'POST', token: tokenStore.get(), body: petitionBody() });
    say($('register-message'), `已登记，事项编号 ${answer.caseNumber}。登记结果见本页“登记结果”。`, true);
    showResult(answer);
    // The matter is done; the petitioner and the source stay for their next one.
    for (const id of ['title', 'content', 'category', 'kind', 'accusedUnitId']) $(id).value = '';
    suggestion = undefined;
    $('suggestion-text').textContent = '填写标题和内容后，系统会建议类别和性质，由登记人员决定是否采用。';
    $('suggestion-text').className = 'muted';
    renderSuggestion();
    showAccusation();
  } catch (err) {
    say($('register-message'), refusalText(err));
  } finally {
    submitting = false;
    $('submit').disabled = false;
  }
});

let shown;
function showResult(answer) {
  shown = answer;
  $('result').hidden = false;
  $('result').dataset.case = answer.caseNumber;
  $('result-facts').replaceChildren(
    h('dt', {}, '事项编号'),
    h('dd', { id: 'result-number' }, answer.caseNumber),
    h('dt', {}, '查询码'),
    h('dd', {}, h('strong', { id: 'result-code', class: 'query-code' }, answer.queryCode ?? '—')),
  );
  $('query-code-note').hidden = !answer.queryCode;
  $('result-where').textContent = '正在等待办理系统确认登记…';
  $('result-links').replaceChildren(caseLink(answer, '打开事项页面'));
  showRepeats(answer);
  followRegistration(answer);
}

/** The same person's earlier cases: linked at once (an exact repeat) or flagged for the holder to answer. */
function showRepeats(answer) {
  const candidates = answer.repeatCandidates ?? [];
  const linked = answer.linkedAsRepeatOf;
  $('repeats').hidden = !linked && candidates.length === 0;
  if (linked) {
    $('repeats-text').textContent =
      `本事项与同一信访人此前的事项 ${linked.caseNumber} 内容相似度 ${Number(linked.score).toFixed(2)}，` +
      '系重复信访，已自动作为重复信访处理（《信访工作条例》第十九条），请告知信访人前案的办理进度。';
  } else if (candidates.length) {
    $('repeats-text').textContent =
      `疑似重复信访：同一信访人此前有 ${candidates.length} 件内容相似的事项，已提示办理单位确认或排除（《信访工作条例》第十九条）。`;
  }
  const list = linked ? [linked] : candidates;
  $('repeat-list').replaceChildren(
    ...list.map((c) =>
      h(
        'li',
        { class: 'repeat-candidate', 'data-candidate': c.caseNumber, 'data-verdict': c.verdict },
        caseLink(c, c.caseNumber),
        ' ',
        h('span', { class: 'muted' }, `相似度 ${Number(c.score).toFixed(2)}`),
        ' ',
        h('span', { class: `badge ${linked ? 'late' : 'warn'}` }, linked ? '已作为重复信访处理' : '待办理单位确认'),
      ),
    ),
  );
}

/**
 * Where the case went: routing's answer to the registration (intake's command outcome), then the case as its
 * petitioner will see it (tracking, by case number and query code), which names the holder and the state.
 */
async function followRegistration(answer) {
  const token = tokenStore.get();
  try {
    for (let i = 0; i < 30; i++) {
      const outcome = await api(`/intake/v1/commands/${encodeURIComponent(answer.commandId)}`, { token });
      if (outcome?.status === 'applied') break;
      await wait(500);
    }
  } catch (err) {
    if (shown === answer) $('result-where').textContent = `办理系统未接受登记：${refusalWords(err)}`;
    return;
  }
  await showWhere(answer);
}

async function showWhere(answer) {
  for (let i = 0; i < 8 && shown === answer; i++) {
    // Tracking reads the case a moment after routing has it, and a lookup before then counts against this
    // client as a wrong guess of number and code: a pause first, and between tries.
    await wait(i === 0 ? 700 : 1_500);
    try {
      const c = await api(`/v1/cases/${encodeURIComponent(answer.caseNumber)}`, {
        headers: { 'x-query-code': answer.queryCode },
      });
      if (shown !== answer) return;
      const holder = c.holder?.name ?? c.holder?.unitId ?? '—';
      $('result-where').textContent = `去向：现由 ${holder} 办理，状态：${named(stateNames, c.state)}。`;
      $('result-where').dataset.state = c.state;
      return;
    } catch (err) {
      if (err.status !== 404) {
        $('result-where').textContent = `暂时查不到去向：${err.message}`;
        return;
      }
    }
  }
  if (shown === answer) $('result-where').textContent = '去向尚未查到，请稍后在事项页面查看。';
}

signIn(async (token) => {
  const me = await api('/v1/me', { token });
  $('unit-name').textContent = me.name;
  if (!text('regionCode') && me.regionCode) $('regionCode').value = me.regionCode;
  $('login').hidden = true;
  $('register').hidden = false;
});

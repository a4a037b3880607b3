// The page's entry: refuse clearly without cross-origin isolation, then publish window.webaio
// and run the browser check.

import './style.css';
import { h } from './dom.ts';
import { checkIsolation } from './isolation.ts';
import { renderSelftest } from './ui/selftest-panel.ts';
import { createWebAio } from './webaio.ts';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');

const isolation = checkIsolation();
if (!isolation.ok) {
  root.append(
    h(
      'section',
      { class: 'fatal', role: 'alert' },
      h('h2', {}, 'WebAIO cannot run here'),
      h('ul', {}, ...isolation.problems.map((p) => h('li', {}, p))),
    ),
  );
} else {
  window.webaio = createWebAio();
  root.append(renderSelftest(window.webaio));
}

// Route colours: the Okabe-Ito palette without its yellow (too pale for a line on white),
// each with a text colour that meets WCAG AA on it, and three dash patterns, so that 21
// routes look different to everyone before a style repeats.
export const COLOURS = [
  { fill: '#0072b2', text: '#fff' },
  { fill: '#d55e00', text: '#000' },
  { fill: '#009e73', text: '#000' },
  { fill: '#cc79a7', text: '#000' },
  { fill: '#e69f00', text: '#000' },
  { fill: '#56b4e9', text: '#000' },
  { fill: '#000000', text: '#fff' },
];
export const DASHES = [null, '8 5', '2 4'];

/** The style of the n-th route: {fill, text, dash}. */
export function routeStyle(n) {
  const c = COLOURS[n % COLOURS.length];
  return { ...c, dash: DASHES[Math.floor(n / COLOURS.length) % DASHES.length] };
}

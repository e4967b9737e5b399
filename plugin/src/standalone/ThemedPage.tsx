import { useMemo, type ReactNode } from 'react';
import { createTheme, ThemeContext } from '@grafana/data';
import { GlobalStyles } from '@grafana/ui';

/** Grafana's theme outside Grafana: `?theme=light|dark`, else the browser's preference. */
export function ThemedPage({ children }: { children: ReactNode }) {
  const theme = useMemo(() => createTheme({ colors: { mode: chosenMode() } }), []);
  return (
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      {children}
    </ThemeContext.Provider>
  );
}

function chosenMode(): 'light' | 'dark' {
  const asked = new URLSearchParams(window.location.search).get('theme');
  if (asked === 'light' || asked === 'dark') {
    return asked;
  }
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

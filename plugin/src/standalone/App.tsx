import { useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Tab, TabsBar, useStyles2 } from '@grafana/ui';

import { LiveView } from './LiveView';
import { ThemedPage } from './ThemedPage';
import { UploadPage } from './UploadPage';

type Page = 'upload' | 'live';

export function App() {
  return (
    <ThemedPage>
      <Shell />
    </ThemedPage>
  );
}

function Shell() {
  const styles = useStyles2(getStyles);
  const [page, setPage] = useState<Page>('upload');
  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <h1 className={styles.title}>Anomalog</h1>
        <TabsBar className={styles.tabs}>
          <Tab label="Analyse a file" icon="upload" active={page === 'upload'} onChangeTab={() => setPage('upload')} />
          <Tab label="Live streams" icon="signal" active={page === 'live'} onChangeTab={() => setPage('live')} />
        </TabsBar>
      </header>
      <main className={styles.main}>{page === 'upload' ? <UploadPage /> : <LiveView />}</main>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ display: 'flex', flexDirection: 'column', height: '100vh', background: theme.colors.background.canvas }),
  header: css({ display: 'flex', alignItems: 'flex-end', gap: theme.spacing(4), padding: theme.spacing(1, 3, 0) }),
  title: css({ margin: theme.spacing(0, 0, 1), fontSize: theme.typography.h3.fontSize }),
  tabs: css({ flex: 1 }),
  main: css({ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column', padding: theme.spacing(2, 3) }),
});

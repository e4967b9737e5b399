import { defineConfig } from 'vitest/config';
import { nodeWorkspaceTests } from '../vitest.shared.js';

export default defineConfig({ test: nodeWorkspaceTests });

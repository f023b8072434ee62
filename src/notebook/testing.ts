// Small notebook builders for the unit tests.
import type { Cell, Notebook, Output } from './ipynb.ts';

export function code(source: string, outputs: Output[] = [], extra: Partial<Cell> = {}): Cell {
  return { cell_type: 'code', source, metadata: {}, outputs, execution_count: 1, ...extra };
}

export function markdown(source: string): Cell {
  return { cell_type: 'markdown', source, metadata: {} };
}

export function stdout(text: string): Output {
  return { output_type: 'stream', name: 'stdout', text };
}

export function result(plain: string, extra: Record<string, unknown> = {}): Output {
  return {
    output_type: 'execute_result',
    data: { 'text/plain': plain, ...extra },
    metadata: {},
    execution_count: 1,
  };
}

export function notebook(cells: Cell[]): Notebook {
  return { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'python3' } }, cells };
}

// Every kind nbv serves, with what Kubernetes needs to know of it: names, scope, printer
// columns and the schema. CRDs, admission and the CLI all look kinds up here.
import type { z } from 'zod';
import {
  NotebookValidationJob,
  NVJ_GROUP,
  NVJ_KIND,
  NVJ_VERSION,
} from './notebookvalidationjob.ts';
import {
  BaseModel,
  ClusterBaseModel,
  ClusterServingRuntime,
  InferenceService,
  OME_GROUP,
  OME_VERSION,
  ServingRuntime,
} from './ome.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  priority?: number;
  description?: string;
}

export interface ResourceDefinition {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  categories?: string[];
  scope: 'Namespaced' | 'Cluster';
  printerColumns: PrinterColumn[];
  schema: z.ZodType;
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

const modelColumns: PrinterColumn[] = [
  { name: 'Disabled', type: 'boolean', jsonPath: '.spec.disabled' },
  { name: 'Version', type: 'string', jsonPath: '.spec.version' },
  { name: 'Vendor', type: 'string', jsonPath: '.spec.vendor' },
  { name: 'Framework', type: 'string', jsonPath: '.spec.modelFramework.name' },
  { name: 'FrameworkVersion', type: 'string', jsonPath: '.spec.modelFramework.version' },
  { name: 'ModelFormat', type: 'string', jsonPath: '.spec.modelFormat.name' },
  { name: 'Architecture', type: 'string', jsonPath: '.spec.modelArchitecture' },
  { name: 'Capabilities', type: 'string', jsonPath: '.spec.modelCapabilities[*]' },
  { name: 'Size', type: 'string', jsonPath: '.spec.modelParameterSize' },
  { name: 'CompartmentID', type: 'string', jsonPath: '.spec.compartmentID' },
  { name: 'Ready', type: 'string', jsonPath: '.status.state' },
  age,
];

const runtimeColumns: PrinterColumn[] = [
  { name: 'Disabled', type: 'boolean', jsonPath: '.spec.disabled' },
  {
    name: 'ModelFormat',
    type: 'string',
    jsonPath: '.spec.supportedModelFormats[*].modelFormat.name',
  },
  {
    name: 'Architecture',
    type: 'string',
    jsonPath: '.spec.supportedModelFormats[*].modelArchitecture',
  },
  age,
];

export const RESOURCES: readonly ResourceDefinition[] = [
  {
    group: NVJ_GROUP,
    version: NVJ_VERSION,
    kind: NVJ_KIND,
    plural: 'notebookvalidationjobs',
    singular: 'notebookvalidationjob',
    shortNames: ['nvj', 'nvjob'],
    scope: 'Namespaced',
    printerColumns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Notebook', type: 'string', jsonPath: '.spec.notebook.path' },
      age,
      { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
    ],
    schema: NotebookValidationJob,
  },
  {
    group: OME_GROUP,
    version: OME_VERSION,
    kind: 'BaseModel',
    plural: 'basemodels',
    singular: 'basemodel',
    scope: 'Namespaced',
    printerColumns: modelColumns,
    schema: BaseModel,
  },
  {
    group: OME_GROUP,
    version: OME_VERSION,
    kind: 'ClusterBaseModel',
    plural: 'clusterbasemodels',
    singular: 'clusterbasemodel',
    scope: 'Cluster',
    printerColumns: modelColumns,
    schema: ClusterBaseModel,
  },
  {
    group: OME_GROUP,
    version: OME_VERSION,
    kind: 'InferenceService',
    plural: 'inferenceservices',
    singular: 'inferenceservice',
    shortNames: ['isvc'],
    scope: 'Namespaced',
    printerColumns: [
      { name: 'URL', type: 'string', jsonPath: '.status.url' },
      { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
      { name: 'Model', type: 'string', jsonPath: '.spec.model.name' },
      age,
    ],
    schema: InferenceService,
  },
  {
    group: OME_GROUP,
    version: OME_VERSION,
    kind: 'ServingRuntime',
    plural: 'servingruntimes',
    singular: 'servingruntime',
    scope: 'Namespaced',
    printerColumns: runtimeColumns,
    schema: ServingRuntime,
  },
  {
    group: OME_GROUP,
    version: OME_VERSION,
    kind: 'ClusterServingRuntime',
    plural: 'clusterservingruntimes',
    singular: 'clusterservingruntime',
    scope: 'Cluster',
    printerColumns: runtimeColumns,
    schema: ClusterServingRuntime,
  },
];

export function apiVersionOf(def: ResourceDefinition): string {
  return `${def.group}/${def.version}`;
}

/** The definition for a kind, or undefined when nbv does not serve it. */
export function findResource(kind: string): ResourceDefinition | undefined {
  return RESOURCES.find((r) => r.kind === kind);
}

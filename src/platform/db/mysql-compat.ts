import type {
  ColumnDefinitionNode,
  InsertQueryNode} from 'kysely';
import {
  CreateIndexNode,
  CreateTableNode,
  DataTypeNode,
  DefaultValueNode,
  DummyDriver,
  Kysely,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  OnDuplicateKeyNode,
  OperationNodeTransformer,
  OrActionNode,
  AlterTableNode,
  ColumnNode,
  ForeignKeyConstraintNode,
  sql,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  type UpdateQueryNode,
  type ValueNode,
  type PrimitiveValueListNode,
  type DeleteQueryNode,
} from 'kysely';

/**
 * What lets the SQL written for SQLite and PostgreSQL run on MySQL 8 and MariaDB, in one place
 * rather than a branch in every repository and migration.
 */

/** Length of a TEXT column that is keyed: MySQL indexes only bounded strings (3 of them fit in its 3,072-byte key). */
export const MYSQL_KEY_TEXT_LENGTH = 255;

/**
 * Queries: `onConflict(...).doNothing()` becomes `INSERT IGNORE` (a duplicate inserts nothing and
 * counts no row, as on the other dialects), `doUpdateSet(...)` becomes `ON DUPLICATE KEY UPDATE`
 * (MySQL matches any unique key, not the named columns: every upsert here targets its table's only
 * one). RETURNING is refused: MySQL 8 has none, and MariaDB's would silently return nothing
 * through Kysely, so a test on MariaDB must fail where MySQL would.
 */
const refuseReturning = <T extends { returning?: unknown }>(node: T): T => {
  if (node.returning !== undefined) throw new Error('RETURNING is not supported on MySQL: select the row after writing it');
  return node;
};

/**
 * mysql2 writes parameters into the SQL text, and a non-finite number as a bare word (`Infinity`,
 * read as a column name: a syntax error, not a refused value). As text it is what pg sends: stored
 * in a text column, refused by a numeric one as an invalid value, on both.
 */
const finiteOrText = (value: unknown): unknown => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value);

class MysqlQueryTransformer extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    return { ...node, value: finiteOrText(node.value) };
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    return { ...node, values: node.values.map(finiteOrText) };
  }

  protected override transformUpdateQuery(node: UpdateQueryNode): UpdateQueryNode {
    return refuseReturning(super.transformUpdateQuery(node));
  }

  protected override transformDeleteQuery(node: DeleteQueryNode): DeleteQueryNode {
    return refuseReturning(super.transformDeleteQuery(node));
  }

  protected override transformInsertQuery(node: InsertQueryNode): InsertQueryNode {
    const transformed = refuseReturning(super.transformInsertQuery(node));
    const conflict = transformed.onConflict;
    if (conflict === undefined) return transformed;
    if (conflict.updateWhere !== undefined || conflict.indexWhere !== undefined) throw new Error('a conditional ON CONFLICT has no MySQL equivalent');
    const { onConflict: _dropped, ...rest } = transformed;
    if (conflict.doNothing === true) return { ...rest, orAction: OrActionNode.create('ignore') };
    return { ...rest, onDuplicateKey: OnDuplicateKeyNode.create(conflict.updates ?? []) };
  }
}

export function mysqlQueryPlugin(): KyselyPlugin {
  const transformer = new MysqlQueryTransformer();
  return {
    transformQuery: (args: PluginTransformQueryArgs): RootOperationNode => transformer.transformNode(args.node),
    transformResult: async (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> => args.result,
  };
}

const tableName = (node: { table: { table: { identifier: { name: string } } } }): string => node.table.table.identifier.name;
const columnName = (node: OperationNode): string | undefined => (ColumnNode.is(node) ? node.column.name : undefined);

/**
 * Schema: a TEXT column becomes VARCHAR(255) where a migration keys or indexes it (MySQL cannot
 * index TEXT without a prefix, and a prefix would make a unique key compare only the prefix), and
 * LONGTEXT elsewhere (MySQL's TEXT stops at 64 KB; the other dialects' have no limit); a text
 * default becomes an expression, the only default MySQL 8 allows on LONGTEXT; BLOB becomes
 * LONGBLOB for the same reason. Tables use utf8mb4_bin, so text compares and sorts by code point,
 * case-sensitively, as on SQLite and PostgreSQL (a username `Ann` is not `ann`).
 */
class MysqlSchemaTransformer extends OperationNodeTransformer {
  readonly #keyColumns: ReadonlySet<string>;

  constructor(keyColumns: ReadonlySet<string>) {
    super();
    this.#keyColumns = keyColumns;
  }

  protected override transformCreateTable(node: CreateTableNode): CreateTableNode {
    const table = tableName(node);
    const transformed = super.transformCreateTable(node);
    // MySQL parses a column's inline REFERENCES and ignores it (no key, no cascade): a table-level FOREIGN KEY it enforces.
    const foreignKeys = transformed.columns.flatMap((column) =>
      column.references === undefined ? [] : [{ ...ForeignKeyConstraintNode.create([column.column], column.references.table, column.references.columns), onDelete: column.references.onDelete, onUpdate: column.references.onUpdate }],
    );
    const columns = transformed.columns.map((column) => {
      const { references: _moved, ...rest } = this.#column(table, column);
      return rest;
    });
    return CreateTableNode.cloneWithEndModifier(
      { ...transformed, columns, constraints: [...(transformed.constraints ?? []), ...foreignKeys] },
      sql`DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.toOperationNode(),
    );
  }

  protected override transformAlterTable(node: AlterTableNode): AlterTableNode {
    const table = tableName(node);
    const transformed = super.transformAlterTable(node);
    const columnAlterations = transformed.columnAlterations?.map((alteration) => {
      if (alteration.kind !== 'AddColumnNode') return alteration;
      if (alteration.column.references !== undefined) throw new Error(`MySQL ignores REFERENCES on an added column (${table}): add a foreign key constraint instead`);
      return { ...alteration, column: this.#column(table, alteration.column) };
    });
    return columnAlterations === undefined ? transformed : { ...transformed, columnAlterations };
  }

  #column(table: string, column: ColumnDefinitionNode): ColumnDefinitionNode {
    if (!DataTypeNode.is(column.dataType)) return column;
    if (column.dataType.dataType === 'blob') return { ...column, dataType: sql`longblob`.toOperationNode() };
    if (column.dataType.dataType !== 'text') return column;
    if (this.#keyColumns.has(`${table}.${column.column.column.name}`)) {
      return { ...column, dataType: DataTypeNode.create(`varchar(${MYSQL_KEY_TEXT_LENGTH})`) };
    }
    const longtext = { ...column, dataType: sql`longtext`.toOperationNode() };
    const value = column.defaultTo?.defaultValue;
    return value === undefined ? longtext : { ...longtext, defaultTo: DefaultValueNode.create(sql`(${{ toOperationNode: () => value }})`.toOperationNode()) };
  }
}

export function mysqlSchemaPlugin(keyColumns: ReadonlySet<string>): KyselyPlugin {
  const transformer = new MysqlSchemaTransformer(keyColumns);
  return {
    transformQuery: (args: PluginTransformQueryArgs): RootOperationNode => transformer.transformNode(args.node),
    transformResult: async (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> => args.result,
  };
}

/** Records every `table.column` that a schema statement makes a key, a unique or a foreign key, or indexes. */
function keyColumnRecorder(found: Set<string>): KyselyPlugin {
  const add = (table: string, columns: readonly OperationNode[] | undefined) => {
    for (const column of columns ?? []) {
      const name = columnName(column);
      if (name !== undefined) found.add(`${table}.${name}`);
    }
  };
  const addDefinition = (table: string, column: ColumnDefinitionNode) => {
    if (column.primaryKey === true || column.unique === true || column.references !== undefined) found.add(`${table}.${column.column.column.name}`);
  };
  const addConstraint = (table: string, constraint: OperationNode) => {
    if ('columns' in constraint) add(table, constraint.columns as readonly OperationNode[]);
  };
  return {
    transformQuery({ node }) {
      if (CreateTableNode.is(node)) {
        const table = tableName(node);
        for (const column of node.columns) addDefinition(table, column);
        for (const constraint of node.constraints ?? []) addConstraint(table, constraint);
      } else if (CreateIndexNode.is(node) && node.table !== undefined) {
        add(node.table.table.identifier.name, node.columns);
      } else if (AlterTableNode.is(node)) {
        const table = tableName(node);
        for (const alteration of node.columnAlterations ?? []) if (alteration.kind === 'AddColumnNode') addDefinition(table, alteration.column);
        if (node.addIndex !== undefined) add(table, node.addIndex.columns);
        if (node.addConstraint !== undefined) addConstraint(table, node.addConstraint.constraint);
      }
      return node;
    },
    transformResult: async (args) => args.result,
  };
}

/**
 * Which text columns the migrations key or index, found by running them against no database (every
 * query answers no rows): a table is created before the statements that index it, so its column
 * types must be known up front. A later migration that indexes a column an earlier one created as
 * LONGTEXT must alter its type first on MySQL.
 */
export async function collectMysqlKeyColumns(migrations: Iterable<(db: Kysely<unknown>) => Promise<void>>): Promise<Set<string>> {
  const found = new Set<string>();
  const dryRun = new Kysely<unknown>({
    dialect: {
      createAdapter: () => new MysqlAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new MysqlIntrospector(db),
      createQueryCompiler: () => new MysqlQueryCompiler(),
    },
    plugins: [keyColumnRecorder(found)],
  });
  for (const up of migrations) await up(dryRun);
  await dryRun.destroy();
  return found;
}

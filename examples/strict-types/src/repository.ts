import type { Pool } from '@strata/pool';
import { BaseModel, createRepository, type Page } from '@strata/repository';

class Article extends BaseModel {
  static override tableName = 'articles';
  declare id: string;
  declare slug: string;
  declare title: string;
}

export async function latest(pool: Pool): Promise<Page<Article>> {
  const articles = createRepository(pool, Article, { sortable: ['created_at'], filterable: ['slug'] });
  await articles.findOne({ slug: 'hello' });
  // @ts-expect-error slug is filterable, not sortable: the allowlist is in the types
  await articles.list({ orderBy: { field: 'slug' } });
  return articles.list({ orderBy: { field: 'created_at', direction: 'desc' }, limit: 10 });
}

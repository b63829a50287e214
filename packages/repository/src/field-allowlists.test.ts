import type { Pool } from '@strata/pool';
import { describe, expectTypeOf, it } from 'vitest';
import { BaseModel } from './base-model.js';
import { createRepository } from './create-repository.js';
import type { Where } from './model-types.js';
import type { OrderBy } from './order-by.js';
import { Repository } from './repository.js';
import type { ListOptions } from './repository-list.js';

// A type-level specification: the typecheck task (tsc) checks these lines, each
// `@ts-expect-error` included. The functions below are compiled, never called.

class Article extends BaseModel {
  static override tableName = 'articles';
  declare id: string;
  declare slug: string;
  declare title: string;
  declare published_at: Date | null;
}

function articles(pool: Pool) {
  return createRepository(pool, Article, { sortable: ['published_at', 'title'], filterable: ['slug'] });
}
type Articles = ReturnType<typeof articles>;
type ArticleList = NonNullable<Parameters<Articles['list']>[0]>;

describe('the sortable and filterable allowlists, in the types', () => {
  it('createRepository infers them as literal field types, the id always included', () => {
    expectTypeOf<Articles>().toEqualTypeOf<Repository<Article, 'published_at' | 'title', 'slug'>>();
    expectTypeOf<ArticleList['orderBy']>().toEqualTypeOf<
      OrderBy<'published_at' | 'title' | 'id'> | undefined
    >();
    expectTypeOf<ArticleList['where']>().toEqualTypeOf<Where<Article, 'slug' | 'id'> | undefined>();
  });

  it('list() and findOne() accept the allowed fields and reject the others', () => {
    function use(repository: Articles) {
      void repository.list({
        orderBy: [{ field: 'published_at', direction: 'desc' }, 'id'],
        where: { slug: 'a' },
      });
      void repository.findOne({ id: '42' });
      // @ts-expect-error slug is filterable, not sortable
      void repository.list({ orderBy: { field: 'slug' } });
      // @ts-expect-error title is sortable, not filterable
      void repository.list({ where: { title: 'Hello' } });
      // @ts-expect-error nor in findOne
      void repository.findOne({ title: 'Hello' });
    }
    expectTypeOf(use).toBeFunction();
  });

  it('without lists only the id may be sorted and filtered on', () => {
    function use(pool: Pool) {
      const repository = createRepository(pool, Article);
      void repository.list({ orderBy: 'id', where: { id: ['1', '2'] } });
      // @ts-expect-error nothing is sortable but the id
      void repository.list({ orderBy: 'title' });
      // @ts-expect-error nothing is filterable but the id
      void repository.findOne({ slug: 'a' });
    }
    expectTypeOf(use).toBeFunction();
  });

  it('the lists themselves must name fields of the model', () => {
    function use(pool: Pool) {
      // @ts-expect-error the model has no field `author`
      createRepository(pool, Article, { sortable: ['author'] });
    }
    expectTypeOf(use).toBeFunction();
  });

  it('a subclass states its lists in its type; one that does not is checked at run time only', () => {
    class ArticleRepository extends Repository<Article, 'title', 'slug'> {
      constructor(pool: Pool) {
        super(pool, Article, { sortable: ['title'], filterable: ['slug'] });
      }
    }
    expectTypeOf<NonNullable<Parameters<ArticleRepository['list']>[0]>['orderBy']>().toEqualTypeOf<
      OrderBy<'title' | 'id'> | undefined
    >();
    expectTypeOf<ListOptions<Article>['orderBy']>().toEqualTypeOf<
      OrderBy<'id' | 'slug' | 'title' | 'published_at' | 'created_at' | 'updated_at' | 'version'> | undefined
    >();
  });
});

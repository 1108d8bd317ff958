import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { IntLike, Optional } from './input-rules';

export interface Page<T> {
  total: number;
  list: T[];
}

/** `pageNum` from 1, `pageSize` 1 to 100; from the query string. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, default: 1, example: 1 })
  @Optional()
  @IntLike()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  pageNum?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 10, example: 10 })
  @Optional()
  @IntLike()
  @IsInt()
  @Min(1)
  @Max(100)
  pageSize?: number;
}

export function pageWindow(query: PageQueryDto): { skip: number; take: number } {
  const take = query.pageSize ?? 10;
  return { skip: ((query.pageNum ?? 1) - 1) * take, take };
}

/**
 * A LIKE pattern that matches the text literally: % and _ in user input are
 * not wildcards. Use with `ESCAPE '!'` (a backslash is read differently by MySQL and SQLite).
 */
export const LIKE_ESCAPE = "ESCAPE '!'";
export function containsPattern(text: string): string {
  return `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

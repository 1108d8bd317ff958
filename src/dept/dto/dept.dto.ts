import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { Clearable, IntLike, Optional } from '../../common/input-rules';
import { MAX_ID } from '../../common/parse-id.pipe';

export class CreateDeptDto {
  @ApiPropertyOptional({ example: 0, description: 'The parent department; 0 for a root' })
  @Optional()
  @IntLike()
  @IsInt()
  @Min(0)
  @Max(MAX_ID)
  parentId?: number;

  @ApiProperty({ example: '研发部' })
  @IsString()
  @Length(1, 64)
  deptName!: string;

  @ApiPropertyOptional({ example: 1 })
  @Optional()
  @IntLike()
  @IsInt()
  @Min(0)
  @Max(99_999)
  orderNum?: number;

  @ApiPropertyOptional({ example: '0', enum: ['0', '1'] })
  @Optional()
  @IsIn(['0', '1'])
  status?: string;

  @ApiPropertyOptional({ type: String, example: '', nullable: true })
  @Clearable()
  @IsString()
  @MaxLength(500)
  remark?: string | null;
}

export class UpdateDeptDto extends PartialType(CreateDeptDto) {
  /** Its rules come from CreateDeptDto; optional here, so "" keeps the name as for every other optional field. */
  @Optional()
  override deptName?: string;
}

export class DeptDto {
  @ApiProperty({ example: 2 }) deptId!: number;
  @ApiProperty({ example: 1 }) parentId!: number;
  @ApiProperty({ example: '0,1', description: 'Ids of the ancestors from the root' }) ancestors!: string;
  @ApiProperty({ example: '0,1,2', description: 'ancestors and the department itself' }) deptPath!: string;
  @ApiProperty({ example: '研发部' }) deptName!: string;
  @ApiProperty({ example: 1 }) orderNum!: number;
  @ApiProperty({ example: '0' }) status!: string;
  @ApiProperty({ type: String, nullable: true, example: '2023-01-01 12:00:00' }) createTime!: string | null;
  @ApiProperty({ type: String, example: '', description: '"" when unset' }) remark!: string | null;
}

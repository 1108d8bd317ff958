import { Injectable } from '@nestjs/common';
import { EntityManager, Like } from 'typeorm';
import { AppException } from '../common/app.exception';
import type { Page } from '../common/paging';
import { formatTime } from '../common/time';
import { conflictOnDuplicate } from '../database/db-errors';
import { Transactions } from '../database/transactions';
import { CreateDeptDto, DeptDto, UpdateDeptDto } from './dto/dept.dto';
import { Dept } from './entities/dept.entity';

export const deptPath = (dept: Pick<Dept, 'ancestors' | 'id'>) => `${dept.ancestors},${dept.id}`;

function toDeptDto(dept: Dept): DeptDto {
  return {
    deptId: dept.id,
    parentId: dept.parentId,
    ancestors: dept.ancestors,
    deptPath: deptPath(dept),
    deptName: dept.deptName,
    orderNum: dept.orderNum,
    status: dept.status,
    createTime: formatTime(dept.createTime),
    remark: dept.remark,
  };
}

const deptNotFound = () => new AppException('error.deptNotFound');

@Injectable()
export class DeptService {
  constructor(private readonly transactions: Transactions) {}

  /** The whole tree, flat, parents before children: consoles build the tree from parentId. */
  async list(): Promise<Page<DeptDto>> {
    const depts = await this.transactions.reader.getRepository(Dept).find({ order: { parentId: 'ASC', orderNum: 'ASC', id: 'ASC' } });
    return { total: depts.length, list: depts.map(toDeptDto) };
  }

  async get(id: number): Promise<DeptDto> {
    const dept = await this.transactions.reader.getRepository(Dept).findOneBy({ id });
    if (!dept) throw deptNotFound();
    return toDeptDto(dept);
  }

  async create(callerId: number | null, input: CreateDeptDto): Promise<DeptDto> {
    const id = await this.write(async (manager) => {
      const parentId = input.parentId ?? 0;
      const ancestors = await this.ancestorsUnder(manager, parentId);
      const repository = manager.getRepository(Dept);
      const dept = repository.create({
        parentId,
        ancestors,
        deptName: input.deptName,
        orderNum: input.orderNum ?? 0,
        status: input.status ?? '0',
        remark: input.remark ?? null,
        createBy: callerId,
        updateBy: callerId,
      });
      return (await repository.save(dept)).id;
    });
    return this.get(id);
  }

  async update(callerId: number | null, id: number, input: UpdateDeptDto): Promise<DeptDto> {
    await this.write(async (manager) => {
      const repository = manager.getRepository(Dept);
      const dept = await repository.findOneBy({ id });
      if (!dept) throw deptNotFound();
      if (input.parentId !== undefined && input.parentId !== dept.parentId) await this.move(manager, dept, input.parentId);
      if (input.deptName !== undefined) dept.deptName = input.deptName;
      if (input.orderNum !== undefined) dept.orderNum = input.orderNum;
      if (input.status !== undefined) dept.status = input.status;
      if (input.remark !== undefined) dept.remark = input.remark;
      dept.updateBy = callerId;
      await repository.save(dept);
    });
    return this.get(id);
  }

  async remove(id: number): Promise<void> {
    await this.transactions.run(async (manager) => {
      if (!(await manager.getRepository(Dept).existsBy({ id }))) throw deptNotFound();
      // The database decides, so that a user or child added in parallel is never orphaned.
      const result = await manager
        .createQueryBuilder()
        .delete()
        .from(Dept)
        .where('dept_id = :id', { id })
        .andWhere('NOT EXISTS (SELECT 1 FROM sys_dept child WHERE child.parent_id = :id)', { id })
        .andWhere('NOT EXISTS (SELECT 1 FROM sys_user u WHERE u.dept_id = :id)', { id })
        .execute();
      if (result.affected !== 1) throw new AppException('error.deptInUse');
    });
  }

  /** Moves a department and its subtree under another parent, refusing a move under itself. */
  private async move(manager: EntityManager, dept: Dept, parentId: number): Promise<void> {
    const ancestors = await this.ancestorsUnder(manager, parentId);
    const oldPath = deptPath(dept);
    if (parentId === dept.id || `${ancestors},`.startsWith(`${oldPath},`)) throw new AppException('error.deptCycle');
    const newPath = `${ancestors},${dept.id}`;
    const repository = manager.getRepository(Dept);
    const descendants = await repository.findBy({ ancestors: Like(`${oldPath}%`) });
    for (const child of descendants) {
      if (child.ancestors === oldPath || child.ancestors.startsWith(`${oldPath},`)) {
        child.ancestors = newPath + child.ancestors.slice(oldPath.length);
        await repository.save(child);
      }
    }
    dept.parentId = parentId;
    dept.ancestors = ancestors;
  }

  private async ancestorsUnder(manager: EntityManager, parentId: number): Promise<string> {
    if (parentId === 0) return '0';
    const parent = await manager.getRepository(Dept).findOneBy({ id: parentId });
    if (!parent) throw new AppException('error.unknownDept');
    return deptPath(parent);
  }

  private write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return conflictOnDuplicate(this.transactions.run(work), 'error.deptNameTaken');
  }
}

import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { AuditedEntity } from '../../database/audited.entity';

/** A node of the department tree; `ancestors` is the chain of parent ids from the root, "0,1,4". */
@Entity({ name: 'sys_dept' })
export class Dept extends AuditedEntity {
  @PrimaryGeneratedColumn({ name: 'dept_id', type: 'int' })
  id!: number;

  /** 0 for a root department. */
  @Column({ name: 'parent_id', type: 'int', default: 0 })
  parentId!: number;

  @Column({ type: 'varchar', length: 500, default: '0' })
  ancestors!: string;

  @Column({ name: 'dept_name', type: 'varchar', length: 64 })
  deptName!: string;

  @Column({ name: 'order_num', type: 'int', default: 0 })
  orderNum!: number;

  /** "0" normal, "1" disabled. */
  @Column({ type: 'varchar', length: 1, default: '0' })
  status!: string;
}

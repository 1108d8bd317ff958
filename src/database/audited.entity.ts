import { Column, CreateDateColumn, UpdateDateColumn } from 'typeorm';

/** Who made and last changed a record, and when. */
export abstract class ChangeTrackedEntity {
  @Column({ name: 'create_by', type: 'int', nullable: true })
  createBy!: number | null;

  @CreateDateColumn({ name: 'create_time', type: 'datetime', precision: 3 })
  createTime!: Date;

  @Column({ name: 'update_by', type: 'int', nullable: true })
  updateBy!: number | null;

  @UpdateDateColumn({ name: 'update_time', type: 'datetime', precision: 3 })
  updateTime!: Date;
}

/** The columns every record of the RuoYi-style model carries: who made and changed it, when, and a remark. */
export abstract class AuditedEntity extends ChangeTrackedEntity {
  @Column({ type: 'varchar', length: 500, nullable: true })
  remark!: string | null;
}

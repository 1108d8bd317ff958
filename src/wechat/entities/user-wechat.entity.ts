import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A WeChat user known to a mini-program (appid + openid, unique), bound to one of our users. The unionid, when
 * WeChat sends one, is the same person across the apps of one open-platform account: a second app finds the user
 * by it. Nothing of WeChat's session_key is kept.
 */
@Entity({ name: 'sys_user_wechat' })
export class UserWechat {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  appid!: string;

  @Column({ type: 'varchar', length: 128 })
  openid!: string;

  @Column({ type: 'varchar', length: 128, nullable: true })
  unionid!: string | null;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

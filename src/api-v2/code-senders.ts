import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type * as Nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { loadOnDemand } from '../common/on-demand';
import { ApiV2Config, apiV2Config } from './api-v2.config';
import type { VerifyChannel } from './entities/verify-code.entity';

/** How long a mail server or the SMS webhook may take before the send counts as failed. */
const DELIVERY_TIMEOUT_MS = 5000;

/** Delivers a code to an address; false when it cannot (nothing configured, the provider refused or is down). */
export interface CodeSender {
  send(destination: string, code: string, ttlMinutes: number): Promise<boolean>;
}

const text = (code: string, ttlMinutes: number) =>
  `您的验证码是 ${code}，${ttlMinutes} 分钟内有效。Your verification code is ${code}; it is valid for ${ttlMinutes} minutes.`;

/** Mail through SMTP_URL (nodemailer); outside production without it, the log. */
@Injectable()
export class MailCodeSender implements CodeSender, OnModuleDestroy {
  private readonly logger = new Logger(MailCodeSender.name);
  private readonly transport?: Transporter;

  constructor(@Inject(apiV2Config.token) private readonly config: ApiV2Config) {
    if (config.smtpUrl) {
      // Loaded only when SMTP_URL is set.
      const { createTransport } = loadOnDemand<typeof Nodemailer>('nodemailer');
      this.transport = createTransport({
        url: config.smtpUrl,
        connectionTimeout: DELIVERY_TIMEOUT_MS,
        greetingTimeout: DELIVERY_TIMEOUT_MS,
        socketTimeout: DELIVERY_TIMEOUT_MS,
      });
    } else if (!config.logCodes) {
      this.logger.warn('SMTP_URL is not set: verification codes by mail are answered 503');
    }
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }

  async send(destination: string, code: string, ttlMinutes: number): Promise<boolean> {
    if (!this.transport) {
      if (!this.config.logCodes) return false;
      this.logger.log(`verification code for ${destination}: ${code} (SMTP_URL is not set)`);
      return true;
    }
    try {
      await this.transport.sendMail({ from: this.config.mailFrom, to: destination, subject: '验证码 Verification code', text: text(code, ttlMinutes) });
      return true;
    } catch (error) {
      this.logger.warn(`could not mail a verification code: ${(error as Error).message}`);
      return false;
    }
  }
}

/** SMS through a provider's webhook: SMS_WEBHOOK_URL gets a JSON `{phone, code, text}`; outside production without it, the log. */
@Injectable()
export class SmsCodeSender implements CodeSender {
  private readonly logger = new Logger(SmsCodeSender.name);

  constructor(@Inject(apiV2Config.token) private readonly config: ApiV2Config) {
    if (!config.smsWebhookUrl && !config.logCodes) this.logger.warn('SMS_WEBHOOK_URL is not set: verification codes by SMS are answered 503');
  }

  async send(destination: string, code: string, ttlMinutes: number): Promise<boolean> {
    const url = this.config.smsWebhookUrl;
    if (!url) {
      if (!this.config.logCodes) return false;
      this.logger.log(`verification code for ${destination}: ${code} (SMS_WEBHOOK_URL is not set)`);
      return true;
    }
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone: destination, code, text: text(code, ttlMinutes) }),
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.ok) return true;
      this.logger.warn(`the SMS webhook answered ${response.status}`);
    } catch (error) {
      this.logger.warn(`could not reach the SMS webhook: ${(error as Error).message}`);
    }
    return false;
  }
}

/** The sender of each channel. */
@Injectable()
export class CodeSenders {
  constructor(
    private readonly mail: MailCodeSender,
    private readonly sms: SmsCodeSender,
  ) {}

  of(channel: VerifyChannel): CodeSender {
    return channel === 'mail' ? this.mail : this.sms;
  }
}

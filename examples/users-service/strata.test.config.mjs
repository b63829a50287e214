import { defineTestingConfig } from '@strata/testing';

export default defineTestingConfig({ migrations: './migrations', pool: { max: 4 } });

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
    apiVersionProblems,
    customFields,
    defaultPackageDir,
    field,
    fieldDocumentationProblems,
    formattingProblems,
    memberStatusProblems,
    memberStatusRecords,
    picklistProblems,
    repositoryRoot,
    requiredFieldProblems,
    sourceApiVersion,
    standardValueSetProblems,
    text
} from './package-metadata.ts';
import { copyPackage, type PackageCopy } from './broken-copy.ts';

const REPLAY_STATUS = 'objects/CampaignMember/fields/Livestorm_Replay_Status__c.field-meta.xml';
const SESSION_ID = 'objects/Campaign/fields/Livestorm_Session_Id__c.field-meta.xml';
const REPLAY_VALUES = ['Has watched replay', 'Has watched on-demand'];
const EVENT_TYPES = ['Live', 'On-demand'];

let copy: PackageCopy;
beforeEach(() => {
    copy = copyPackage();
});
afterEach(() => {
    copy.dispose();
});

describe('the fields the listener writes', () => {
    it('are all there, with the API names the listener uses', () => {
        expect(customFields(defaultPackageDir, 'Campaign').map((entry) => entry.name)).toEqual([
            'Livestorm_Attendees__c',
            'Livestorm_Event_Id__c',
            'Livestorm_Event_Title__c',
            'Livestorm_Event_Type__c',
            'Livestorm_No_Shows__c',
            'Livestorm_Registrants__c',
            'Livestorm_Registration_Link__c',
            'Livestorm_Replay_Viewers__c',
            'Livestorm_Session_Id__c',
            'Livestorm_Session_Start__c',
            'Livestorm_Session_Status__c'
        ]);
        expect(customFields(defaultPackageDir, 'CampaignMember').map((entry) => entry.name)).toEqual([
            'Livestorm_Attendance_Duration__c',
            'Livestorm_Attendance_Rate__c',
            'Livestorm_Join_Link__c',
            'Livestorm_Messages_Count__c',
            'Livestorm_Person_Id__c',
            'Livestorm_Questions_Count__c',
            'Livestorm_Referrer__c',
            'Livestorm_Registered_At__c',
            'Livestorm_Replay_Status__c',
            'Livestorm_Replay_Watched_At__c',
            'Livestorm_UTM_Campaign__c',
            'Livestorm_UTM_Content__c',
            'Livestorm_UTM_Medium__c',
            'Livestorm_UTM_Source__c',
            'Livestorm_UTM_Term__c',
            'Livestorm_Up_Votes_Count__c',
            'Livestorm_Votes_Count__c'
        ]);
    });

    it('have the types and sizes the listener truncates and converts to', () => {
        const shape = (object: string, name: string) => {
            const node = field(defaultPackageDir, object, name);
            return [text(node['type']), text(node['length']), text(node['precision']), text(node['scale'])];
        };
        expect(shape('Campaign', 'Livestorm_Session_Id__c')).toEqual(['Text', '64', undefined, undefined]);
        expect(shape('Campaign', 'Livestorm_Event_Title__c')).toEqual(['Text', '255', undefined, undefined]);
        expect(shape('Campaign', 'Livestorm_Session_Status__c')).toEqual([
            'Text',
            '40',
            undefined,
            undefined
        ]);
        expect(shape('Campaign', 'Livestorm_Session_Start__c')).toEqual([
            'DateTime',
            undefined,
            undefined,
            undefined
        ]);
        expect(shape('Campaign', 'Livestorm_Registration_Link__c')).toEqual([
            'Url',
            undefined,
            undefined,
            undefined
        ]);
        expect(shape('Campaign', 'Livestorm_Registrants__c')).toEqual(['Number', undefined, '9', '0']);
        expect(shape('CampaignMember', 'Livestorm_Attendance_Rate__c')).toEqual([
            'Percent',
            undefined,
            '5',
            '2'
        ]);
        expect(shape('CampaignMember', 'Livestorm_Attendance_Duration__c')).toEqual([
            'Number',
            undefined,
            '9',
            '0'
        ]);
        expect(shape('CampaignMember', 'Livestorm_Person_Id__c')).toEqual([
            'Text',
            '64',
            undefined,
            undefined
        ]);
        expect(shape('CampaignMember', 'Livestorm_UTM_Source__c')).toEqual([
            'Text',
            '255',
            undefined,
            undefined
        ]);
        expect(shape('CampaignMember', 'Livestorm_Join_Link__c')).toEqual([
            'Url',
            undefined,
            undefined,
            undefined
        ]);
    });
});

describe('Livestorm Replay Status', () => {
    it('is a restricted picklist with exactly the two replay values', () => {
        const replay = field(defaultPackageDir, 'CampaignMember', 'Livestorm_Replay_Status__c');
        expect(text(replay['label'])).toBe('Livestorm Replay Status');
        expect(picklistProblems(replay, REPLAY_VALUES)).toEqual([]);
    });

    it('is caught when unrestricted or given another value', () => {
        copy.edit(REPLAY_STATUS, (xml) =>
            xml
                .replace('<restricted>true</restricted>', '<restricted>false</restricted>')
                .replaceAll('Has watched on-demand', 'Watched on demand')
        );
        expect(
            picklistProblems(
                field(copy.packageDir, 'CampaignMember', 'Livestorm_Replay_Status__c'),
                REPLAY_VALUES
            )
        ).toEqual([
            'picklist is not restricted',
            'values are ["Has watched replay","Watched on demand"], expected ["Has watched replay","Has watched on-demand"]',
            'labels are ["Has watched replay","Watched on demand"], expected ["Has watched replay","Has watched on-demand"]'
        ]);
    });
});

describe('Livestorm Event Type', () => {
    it('is a restricted picklist with Live and On-demand', () => {
        expect(
            picklistProblems(field(defaultPackageDir, 'Campaign', 'Livestorm_Event_Type__c'), EVENT_TYPES)
        ).toEqual([]);
    });
});

describe('Livestorm Session Id', () => {
    it('is a case-insensitive unique external id, so Campaigns upsert on it', () => {
        const sessionId = field(defaultPackageDir, 'Campaign', 'Livestorm_Session_Id__c');
        expect(text(sessionId['externalId'])).toBe('true');
        expect(text(sessionId['unique'])).toBe('true');
        expect(text(sessionId['caseSensitive'])).toBe('false');
    });

    it('no other field is an external id', () => {
        const externalIds = customFields(defaultPackageDir)
            .filter((entry) => text(entry.field['externalId']) === 'true')
            .map((entry) => `${entry.object}.${entry.name}`);
        expect(externalIds).toEqual(['Campaign.Livestorm_Session_Id__c']);
    });
});

describe('every custom field', () => {
    it('has a description, help text and a label within the Metadata API limits', () => {
        expect(fieldDocumentationProblems()).toEqual([]);
    });

    it('is caught without help text or with an over-long description', () => {
        copy.edit(SESSION_ID, (xml) => xml.replace(/<inlineHelpText\s*>[^<]*<\/inlineHelpText>/, ''));
        copy.edit('objects/Campaign/fields/Livestorm_Event_Id__c.field-meta.xml', (xml) =>
            xml.replace(/(<description\s*>)[^<]*/, `$1${'x'.repeat(1001)}`)
        );
        expect(fieldDocumentationProblems(copy.packageDir)).toEqual([
            'Campaign.Livestorm_Event_Id__c description is over 1,000 characters',
            'Campaign.Livestorm_Session_Id__c has no inlineHelpText'
        ]);
    });

    it('is optional', () => {
        expect(requiredFieldProblems()).toEqual([]);
    });

    it('is caught when required', () => {
        copy.edit(SESSION_ID, (xml) =>
            xml.replace('<required>false</required>', '<required>true</required>')
        );
        expect(requiredFieldProblems(copy.packageDir)).toEqual([
            'Campaign.Livestorm_Session_Id__c is required'
        ]);
    });
});

describe('Livestorm Member Status records', () => {
    it('hold the three statuses with their labels, responded flags, default and order', () => {
        const byState = Object.fromEntries(memberStatusRecords().map((record) => [record.state, record]));
        expect(Object.keys(byState).sort()).toEqual(['attended', 'not_attended', 'registered']);
        expect(byState['registered']).toMatchObject({
            statusLabel: 'Registered',
            hasResponded: false,
            isDefault: true,
            sortOrder: 1
        });
        expect(byState['attended']).toMatchObject({
            statusLabel: 'Attended',
            hasResponded: true,
            isDefault: false,
            sortOrder: 2
        });
        expect(byState['not_attended']).toMatchObject({
            statusLabel: 'Did not attend',
            hasResponded: false,
            isDefault: false,
            sortOrder: 3
        });
        expect(memberStatusProblems()).toEqual([]);
    });

    it('are caught with two defaults, no responded status, a repeated order or a long label', () => {
        copy.edit('customMetadata/Livestorm_Member_Status.Attended.md-meta.xml', (xml) =>
            xml
                .replace(/(<field>Is_Default__c<\/field>\s*<value xsi:type="xsd:boolean">)false/, '$1true')
                .replace(/(<field>Has_Responded__c<\/field>\s*<value xsi:type="xsd:boolean">)true/, '$1false')
                .replace(/(<field>Sort_Order__c<\/field>\s*<value xsi:type="xsd:double">)2/, '$11')
                .replace(
                    /(<field>Status_Label__c<\/field>\s*<value xsi:type="xsd:string">)Attended/,
                    `$1${'A'.repeat(41)}`
                )
        );
        expect(memberStatusProblems(copy.packageDir)).toEqual([
            'Livestorm_Member_Status.Attended.md-meta.xml Status_Label__c is over 40 characters',
            '2 statuses are the default, expected exactly 1',
            'no status has Has_Responded__c',
            'Sort_Order__c values repeat: 1, 1, 3'
        ]);
    });

    it('are caught when one is missing', () => {
        copy.remove('customMetadata/Livestorm_Member_Status.Not_Attended.md-meta.xml');
        expect(memberStatusProblems(copy.packageDir)).toEqual([
            'states are ["attended","registered"], expected attended, not_attended, registered once each'
        ]);
    });
});

describe('API version', () => {
    it('is the same in sfdx-project.json and every component bundle', () => {
        expect(sourceApiVersion()).toMatch(/^\d+\.0$/);
        expect(apiVersionProblems()).toEqual([]);
    });

    it('is caught when a bundle differs', () => {
        copy.edit('lwc/livestormSessionCard/livestormSessionCard.js-meta.xml', (xml) =>
            xml.replace(/<apiVersion>[^<]+<\/apiVersion>/, '<apiVersion>58.0</apiVersion>')
        );
        expect(apiVersionProblems(copy.packageDir, copy.root)).toEqual([
            `lwc/livestormSessionCard/livestormSessionCard.js-meta.xml has apiVersion 58.0, sfdx-project.json says ${sourceApiVersion(repositoryRoot)}`
        ]);
    });
});

describe('StandardValueSet', () => {
    it('is not shipped', () => {
        expect(standardValueSetProblems()).toEqual([]);
    });

    it('is caught when the CampaignMemberStatus value set is added', () => {
        mkdirSync(join(copy.packageDir, 'standardValueSets'));
        copy.write(
            'standardValueSets/CampaignMemberStatus.standardValueSet-meta.xml',
            '<?xml version="1.0" encoding="UTF-8" ?>\n<StandardValueSet xmlns="http://soap.sforce.com/2006/04/metadata" />\n'
        );
        expect(standardValueSetProblems(copy.packageDir)).toEqual([
            'standardValueSets/CampaignMemberStatus.standardValueSet-meta.xml ships a StandardValueSet'
        ]);
    });
});

describe('XML formatting', () => {
    it('is the one a retrieve writes: declaration, 4-space indent, elements in alphabetical order', () => {
        expect(formattingProblems()).toEqual([]);
    });

    it('is caught when elements are out of order', () => {
        copy.edit(SESSION_ID, (xml) =>
            xml
                .replace('    <label>Livestorm Session Id</label>\n', '')
                .replace('</CustomField>', '    <label>Livestorm Session Id</label>\n</CustomField>')
        );
        expect(formattingProblems(copy.packageDir)).toEqual([
            'objects/Campaign/fields/Livestorm_Session_Id__c.field-meta.xml elements are not in alphabetical order: caseSensitive, description, externalId, inlineHelpText, length, required, type, unique, label'
        ]);
    });
});
